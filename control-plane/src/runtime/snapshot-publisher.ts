// Keeps one snapshot per proxy group up to date: translate the model for each group's target and
// hand the encoded resources to the xDS cache. A failed translation leaves the last good snapshot.
import type { Logger } from 'pino';
import type { MeshState } from '../model/types.js';
import { encodeResources, translateProxy } from '../translate/index.js';
import type { ProxyTarget } from '../translate/proxy.js';
import type { SnapshotCache } from '../xds/cache.js';
import { groupKey } from './node-target.js';

export class SnapshotPublisher {
  private readonly targets = new Map<string, ProxyTarget>();
  private state: MeshState | undefined;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly logger: Logger,
  ) {}

  /** Registers a proxy target and makes sure its group has a snapshot; returns the group. */
  register(target: ProxyTarget): string {
    const group = groupKey(target);
    if (!this.targets.has(group)) {
      this.targets.set(group, target);
      if (this.state) this.build(group, target, this.state);
    }
    return group;
  }

  /** Rebuilds every known group from a new model; returns how long it took. */
  publish(state: MeshState): number {
    const started = performance.now();
    this.state = state;
    for (const [group, target] of this.targets) this.build(group, target, state);
    return performance.now() - started;
  }

  private build(group: string, target: ProxyTarget, state: MeshState): void {
    try {
      const { changedTypes } = this.cache.setSnapshot(group, encodeResources(translateProxy(state, target)));
      if (changedTypes.length > 0) this.logger.debug({ group, changedTypes }, 'snapshot updated');
    } catch (err) {
      this.logger.error({ group, err }, 'translation failed; proxies keep their last good config');
    }
  }
}

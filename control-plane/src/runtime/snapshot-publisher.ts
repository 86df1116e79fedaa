// Keeps one snapshot per proxy group up to date: translate the model for each group's target and
// hand the encoded resources to the xDS cache. A failed translation leaves the last good snapshot.
import type { Logger } from 'pino';
import type { MeshState } from '../model/types.js';
import { TranslationMemo } from '../translate/memo.js';
import type { ProxyTarget } from '../translate/proxy.js';
import type { ResourceInput, SnapshotCache } from '../xds/cache.js';
import { affectedGroups } from './group-inputs.js';
import { groupKey } from './node-target.js';

export class SnapshotPublisher {
  private readonly targets = new Map<string, ProxyTarget>();
  /** Resources added to a group's translation; only test fault injection uses this. */
  private readonly extras = new Map<string, ResourceInput[]>();
  private state: MeshState | undefined;
  private readonly translation = new TranslationMemo();

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

  /** Rebuilds the groups a new model changes (see group-inputs.ts); returns how long it took. */
  publish(state: MeshState): number {
    const started = performance.now();
    const affected = affectedGroups(this.state, state, this.targets);
    this.state = state;
    for (const [group, target] of this.targets) if (affected === 'all' || affected.has(group)) this.build(group, target, state);
    return performance.now() - started;
  }

  /** Adds resources to a known group's snapshot (none: removes them) and republishes it; false for an unknown group. */
  setExtraResources(group: string, resources: ResourceInput[]): boolean {
    const target = this.targets.get(group);
    if (!target) return false;
    if (resources.length > 0) this.extras.set(group, resources);
    else this.extras.delete(group);
    if (this.state) this.build(group, target, this.state);
    return true;
  }

  groupsWithExtraResources(): string[] {
    return [...this.extras.keys()].sort();
  }

  private build(group: string, target: ProxyTarget, state: MeshState): void {
    try {
      const { resources, bundles } = this.translation.proxyParts(state, target);
      const { changedTypes } = this.cache.setSnapshot(group, [...resources, ...(this.extras.get(group) ?? [])], bundles);
      if (changedTypes.length > 0) this.logger.debug({ group, changedTypes }, 'snapshot updated');
    } catch (err) {
      this.logger.error({ group, err }, 'translation failed; proxies keep their last good config');
    }
  }
}

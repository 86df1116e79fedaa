// What the API shows for an object: its definition as served, plus its resourceVersion and times
// (lanes: lanes.ts). Objects from the config directory get a version from their content.
import { createHash } from 'node:crypto';
import type { MeshState, Service, Settings } from '../model/types.js';
import type { ObjectMeta } from '../sources/store-contents.js';
import type { FileStore } from '../sources/store.js';
import type { RegisteredLookup } from './registrations.js';
import { ApiError } from './errors.js';

export type Collection = 'services' | 'lanes';

export interface ApiContext {
  store: FileStore;
  /** The state being served (store merged with other sources); reads come from here. */
  getState: () => MeshState;
  now: () => Date;
  /** True when another source (the config directory) defines the object, so the API must not write it. */
  definedElsewhere: (kind: Collection | 'settings', name: string) => boolean;
  /** Kubernetes mode: services defined elsewhere are cluster objects. */
  kubernetes?: boolean;
  /** Endpoints registered by sidecars, shown beside the definitions (never part of them). */
  registered?: () => RegisteredLookup;
}

export type Versioned<T> = T & { resourceVersion: string; createdAt?: string; updatedAt?: string };

/** `registered` for a view when there is any: what sidecars registered, beside what is stored. */
export function registeredField<T>(value: T | undefined): { registered?: T } {
  return value === undefined ? {} : { registered: value };
}

/** The version of an object the API does not hold (the config directory's): from its content. */
export function contentVersion(value: unknown): string {
  return `cfg-${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12)}`;
}

function metaFields(meta: ObjectMeta): { resourceVersion: string; createdAt: string; updatedAt: string } {
  return { resourceVersion: meta.resourceVersion, createdAt: meta.createdAt, updatedAt: meta.updatedAt };
}

export function serviceView(ctx: ApiContext, service: Service): Versioned<Service> {
  const meta = ctx.definedElsewhere('services', service.name) ? undefined : ctx.store.getService(service.name)?.meta;
  return {
    ...service,
    ...registeredField(ctx.registered?.().stable[service.name]),
    ...(meta ? metaFields(meta) : { resourceVersion: contentVersion(service) }),
  };
}

export function settingsView(ctx: ApiContext, settings: Settings): Versioned<Settings> {
  const resourceVersion = ctx.definedElsewhere('settings', '') ? contentVersion(settings) : ctx.store.meta().settings.resourceVersion;
  return { ...settings, resourceVersion };
}

/** The served object or a 404 naming it. */
export function servedObject<K extends Collection>(ctx: ApiContext, kind: K, name: string): MeshState[K][string] {
  const objects = ctx.getState()[kind] as MeshState[K];
  if (!Object.hasOwn(objects, name)) {
    const noun = kind === 'lanes' ? 'lane' : 'service';
    throw new ApiError(404, 'not_found', `${noun} "${name}" does not exist`, [{ path: `${kind}/${name}`, reason: 'does not exist' }]);
  }
  return objects[name] as MeshState[K][string];
}

/** Refuses writes to what the config directory defines: it would win anyway, silently. */
export function assertWritable(ctx: ApiContext, kind: Collection | 'settings', name: string): void {
  if (!ctx.definedElsewhere(kind, name)) return;
  const path = kind === 'settings' ? 'settings' : `${kind}/${name}`;
  // Kubernetes mode writes lanes as Lane objects (lane-backend-kubernetes.ts); services stay the cluster's.
  if (ctx.kubernetes && kind === 'services') {
    throw new ApiError(409, 'conflict', `${path} is defined by Kubernetes (a Service and the pods it selects); change it in the cluster`, [{ path, reason: 'defined by Kubernetes' }]);
  }
  throw new ApiError(409, 'conflict', `${path} is defined in the config directory (--config-dir), which overrides the API; change it there`, [{ path, reason: 'defined in the config directory' }]);
}

/** The body without the fields the server sets. */
export function definitionFields(body: Record<string, unknown>): Record<string, unknown> {
  const { resourceVersion: _v, createdAt: _c, updatedAt: _u, expiresInSeconds: _e, registered: _r, status: _s, ...definition } = body;
  return definition;
}

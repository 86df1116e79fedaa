// Writes Lane custom objects for the REST API in Kubernetes mode: every replica then sees the change
// through its watch. Kubernetes' own resourceVersion is the API's; its answers become model errors:
// 409 Conflict (stale resourceVersion) -> PreconditionFailedError, 404 -> NotFoundError,
// 422 Invalid -> ValidationError naming the fields.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NotFoundError, PreconditionFailedError, ValidationError, type FieldError } from '../../model/errors.js';
import { FORKS_FINALIZER, type KubeDeployment } from './fork-deployment.js';
import { LANE_GROUP, LANE_PLURAL, LANE_VERSION, type KubeLane, type LaneSpec } from './mapping.js';

interface KubeStatus { reason?: string; message?: string; details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> } }

function statusOf(err: unknown): { code: number | undefined; body: KubeStatus } {
  const { code, body } = (err ?? {}) as { code?: unknown; body?: unknown };
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = { message: body };
    }
  }
  return { code: typeof code === 'number' ? code : undefined, body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as KubeStatus };
}

/** "spec.owner" -> "lanes/<name>/owner": the API's paths, not Kubernetes'. */
function fieldPath(name: string, field: string | undefined): string {
  const rest = (field ?? '').replace(/^spec\./, '').replace(/^metadata\.name$/, 'name').replace(/\./g, '/');
  return rest ? `lanes/${name}/${rest}` : `lanes/${name}`;
}

/** A Lane with forks carries the finalizer from its first write, so no deletion can skip their cleanup. */
function finalizersFor(spec: LaneSpec, current: string[] | undefined): { finalizers?: string[] } {
  const list = current ?? [];
  if (!spec.forks?.length || list.includes(FORKS_FINALIZER)) return current ? { finalizers: current } : {};
  return { finalizers: [...list, FORKS_FINALIZER] };
}

export class KubeLaneWriter {
  private readonly custom: CustomObjectsApi;
  private readonly where: { group: string; version: string; namespace: string; plural: string };

  constructor(kc: KubeConfig, readonly namespace: string) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.where = { group: LANE_GROUP, version: LANE_VERSION, namespace, plural: LANE_PLURAL };
  }

  /** The Lane as the API server has it now (not the watch's possibly older copy); undefined if absent. */
  async get(name: string): Promise<KubeLane | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...this.where, name })) as KubeLane;
    } catch (err) {
      if (statusOf(err).code === 404) return undefined;
      throw this.translate(err, name, undefined);
    }
  }

  /** The Deployment `name` in the namespace as the API server has it now; undefined if absent. */
  async deployment(name: string): Promise<KubeDeployment | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: this.namespace, plural: 'deployments', name })) as KubeDeployment;
    } catch (err) {
      if (statusOf(err).code === 404) return undefined;
      const { code, body } = statusOf(err);
      throw new Error(`Kubernetes answered ${code ?? 'with an error'} reading Deployment ${name}: ${body.message ?? (err as Error)?.message ?? String(err)}`);
    }
  }

  /** Creates the Lane; if it exists already: PreconditionFailedError. */
  async create(name: string, spec: LaneSpec): Promise<KubeLane> {
    const body = { apiVersion: `${LANE_GROUP}/${LANE_VERSION}`, kind: 'Lane', metadata: { name, namespace: this.namespace, ...finalizersFor(spec, undefined) }, spec };
    try {
      return (await this.custom.createNamespacedCustomObject({ ...this.where, body })) as KubeLane;
    } catch (err) {
      throw this.translate(err, name, undefined);
    }
  }

  /** Replaces the spec of `current` only if the Lane is still at `resourceVersion` (Kubernetes checks it). */
  async replace(current: KubeLane, spec: LaneSpec, resourceVersion: string): Promise<KubeLane> {
    const name = current.metadata!.name!;
    const body = { ...current, apiVersion: `${LANE_GROUP}/${LANE_VERSION}`, kind: 'Lane', metadata: { ...current.metadata, resourceVersion, ...finalizersFor(spec, current.metadata?.finalizers) }, spec };
    try {
      return (await this.custom.replaceNamespacedCustomObject({ ...this.where, name, body })) as KubeLane;
    } catch (err) {
      throw this.translate(err, name, resourceVersion);
    }
  }

  /** Deletes the Lane if it is still at `resourceVersion` (preconditions.resourceVersion). */
  async delete(name: string, resourceVersion: string | undefined): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...this.where, name, ...(resourceVersion && { body: { preconditions: { resourceVersion } } }) });
    } catch (err) {
      throw this.translate(err, name, resourceVersion);
    }
  }

  private translate(err: unknown, name: string, expected: string | undefined): Error {
    const { code, body } = statusOf(err);
    const path = `lanes/${name}`;
    if (code === 404) return new NotFoundError('lane', name);
    if (code === 409) {
      const message = body.reason === 'AlreadyExists'
        ? `${path} already exists; the request asked to create it only`
        : `${path} changed since you read it${expected ? ` (resourceVersion ${expected} is stale)` : ''}; read it again and retry`;
      return new PreconditionFailedError(path, message, undefined);
    }
    if (code === 422 || code === 400) {
      const causes = body.details?.causes ?? [];
      const errors: FieldError[] = causes.length > 0
        ? causes.map((c) => ({ path: fieldPath(name, c.field), reason: `rejected by Kubernetes: ${c.message ?? c.reason ?? 'invalid'}` }))
        : [{ path, reason: `rejected by Kubernetes: ${body.message ?? 'invalid'}` }];
      return new ValidationError(errors);
    }
    const detail = body.message ?? (err as Error)?.message ?? String(err);
    return new Error(`Kubernetes answered ${code ?? 'with an error'} for ${path}: ${detail}`);
  }
}

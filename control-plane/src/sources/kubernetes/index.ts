// Kubernetes mode for the runtime: optional, started only with --kubernetes / LANEWAY_KUBERNETES=1.
import type { Logger } from 'pino';
import type { YamlDefinitions } from '../yaml-dir.js';
import type { KubeDefinitions } from './mapping.js';
import { startKubernetesSource, type KubernetesSource } from './watch.js';

export interface KubernetesModeConfig {
  kubernetes?: boolean;
  kubeconfig?: string;
  kubernetesNamespace?: string;
}

/** The source when Kubernetes mode is on, after its first complete list; undefined otherwise. */
export async function startKubernetesMode(config: KubernetesModeConfig, logger: Logger, onChange: () => void): Promise<KubernetesSource | undefined> {
  if (!config.kubernetes) return undefined;
  return startKubernetesSource({
    ...(config.kubeconfig && { kubeconfig: config.kubeconfig }),
    ...(config.kubernetesNamespace && { namespace: config.kubernetesNamespace }),
    logger: logger.child({ source: 'kubernetes' }),
    onChange,
  });
}

/** YAML definitions with the cluster's on top: in Kubernetes mode the cluster is the source of truth. */
export function withKubernetes(yaml: YamlDefinitions, kube: KubeDefinitions | undefined): YamlDefinitions {
  if (!kube) return yaml;
  return { ...yaml, services: { ...yaml.services, ...kube.services }, lanes: { ...yaml.lanes, ...kube.lanes } };
}

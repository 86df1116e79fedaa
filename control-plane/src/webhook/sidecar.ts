// The containers and volumes an injected pod gets: the Envoy sidecar as a native sidecar (an init
// container with restartPolicy Always: up before the app, stopped after it) and the capture init
// container. Plain data from (decision, settings); patch.ts places them in the pod.
import { CAPTURE_CONTAINER, PROXY_CONTAINER, type Injection, type PodContainer } from './decision.js';
import { BOOTSTRAP_CONFIGMAP, CAPTURE_PORT, CAPTURE_SCRIPT, PROXY_ADMIN_PORT, PROXY_LISTENER_PORT, PROXY_UID, type InjectionSettings } from './settings.js';

export const BOOTSTRAP_VOLUME = 'laneway-sidecar-bootstrap';
export const WORK_VOLUME = 'laneway-proxy-work';
const BOOTSTRAP_DIR = '/laneway';
const WORK_DIR = '/etc/laneway-envoy';

// Envoy's admin listens on 127.0.0.1 only (its /quitquitquit must stay private), and kubelet's
// httpGet probes go to the pod IP: probe /ready from inside the container (the Envoy image has bash).
const CAPTURE_METADATA = JSON.stringify({ node: { metadata: { 'laneway.capture_port': String(CAPTURE_PORT) } } });

// HTTP/1.1: Envoy's admin answers HTTP/1.0 with 426.
const READY_COMMAND = ['/bin/bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${PROXY_ADMIN_PORT} && printf 'GET /ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q '^LIVE' <&3`];

export function proxyContainer(decision: Injection, settings: InjectionSettings): PodContainer {
  const value = (name: string, v: string | number) => ({ name, value: String(v) });
  return {
    name: PROXY_CONTAINER,
    image: settings.proxyImage,
    restartPolicy: 'Always',
    // The entrypoint passes extra arguments to Envoy; --config-yaml merges into the bootstrap, adding
    // the node metadata that turns the capture listener on (runtime/node-target.ts).
    command: ['/bin/sh', `${BOOTSTRAP_DIR}/envoy-entrypoint.sh`, `${BOOTSTRAP_DIR}/sidecar.yaml`, ...(decision.capture ? ['--config-yaml', CAPTURE_METADATA] : [])],
    env: [
      // Node id = pod name; from the downward API since a ReplicaSet's pods get their name after admission.
      { name: 'NODE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      value('SERVICE', decision.service),
      value('LANE', decision.lane),
      // The sidecar's own lane, which its spans carry as laneway.proxy_lane (translate/tracing.ts).
      value('LANEWAY_LANE', decision.lane),
      value('LISTENER_ADDRESS', '127.0.0.1'),
      value('LISTENER_PORT', PROXY_LISTENER_PORT),
      value('ADMIN_PORT', PROXY_ADMIN_PORT),
      value('XDS_HOST', settings.xdsHost),
      value('XDS_PORT', settings.xdsPort),
      value('ENVOY_CONFIG_OUT', `${WORK_DIR}/envoy.yaml`),
    ],
    // The app starts once Envoy has its first config (native sidecars gate on the startup probe).
    startupProbe: { exec: { command: READY_COMMAND }, periodSeconds: 1, failureThreshold: 120, timeoutSeconds: 1 },
    readinessProbe: { exec: { command: READY_COMMAND }, periodSeconds: 5, timeoutSeconds: 1 },
    resources: {
      requests: { cpu: settings.proxyCpuRequest, memory: settings.proxyMemoryRequest },
      limits: { memory: settings.proxyMemoryLimit },
    },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: BOOTSTRAP_VOLUME, mountPath: BOOTSTRAP_DIR, readOnly: true },
      { name: WORK_VOLUME, mountPath: WORK_DIR },
    ],
  };
}

/** Installs the pod's capture rules (iptables nat OUTPUT) and exits; root with NET_ADMIN (NET_RAW for iptables' raw sockets) only. */
export function captureContainer(decision: Injection, settings: InjectionSettings): PodContainer {
  return {
    name: CAPTURE_CONTAINER,
    image: settings.captureImage,
    command: ['/bin/sh', CAPTURE_SCRIPT],
    env: [
      { name: 'LANEWAY_CAPTURE_PORT', value: String(CAPTURE_PORT) },
      { name: 'LANEWAY_PROXY_UID', value: String(PROXY_UID) },
      { name: 'LANEWAY_EXCLUDE_PORTS', value: decision.excludePorts },
      { name: 'LANEWAY_EXCLUDE_CIDRS', value: decision.excludeCidrs },
    ],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

export function injectedVolumes(): Array<{ name: string; [field: string]: unknown }> {
  return [
    { name: BOOTSTRAP_VOLUME, configMap: { name: BOOTSTRAP_CONFIGMAP } },
    { name: WORK_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
  ];
}

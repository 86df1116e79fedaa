// What an injected pod gets that is not the pod's own choice: images, resources, ports, where the
// control plane is. One object, from flags/env (runtime/config.ts), passed to the pure injection.

export interface InjectionSettings {
  /** Envoy image of the sidecar; its entrypoint is the shell script in the laneway-sidecar ConfigMap. */
  proxyImage: string;
  /** Image that holds the capture script (the control plane's own image). */
  captureImage: string;
  /** Where sidecars reach the control plane's xDS port (a Service name pods of any namespace resolve). */
  xdsHost: string;
  xdsPort: number;
  proxyCpuRequest: string;
  proxyMemoryRequest: string;
  proxyMemoryLimit: string;
}

/** Envoy runs as this uid; the capture rules let its own traffic out uncaptured by it (as Istio's 1337). */
export const PROXY_UID = 1337;
/** The sidecar's explicit outbound listener (HTTP_PROXY mode), admin port and capture listener port. */
export const PROXY_LISTENER_PORT = 15001;
export const PROXY_ADMIN_PORT = 19001;
export const CAPTURE_PORT = 15006;
/** The capture script inside the control plane's image (deploy/capture/, item 2 of issue 25). */
export const CAPTURE_SCRIPT = '/app/deploy/capture/laneway-capture.sh';
/** The ConfigMap with the sidecar bootstrap template and its entrypoint (deploy/kubernetes/sidecar/). */
export const BOOTSTRAP_CONFIGMAP = 'laneway-sidecar';

export const DEFAULT_INJECTION_SETTINGS: InjectionSettings = {
  proxyImage: 'envoyproxy/envoy:v1.40.0',
  captureImage: 'laneway:dev',
  xdsHost: 'laneway',
  xdsPort: 18000,
  proxyCpuRequest: '20m',
  proxyMemoryRequest: '64Mi',
  proxyMemoryLimit: '256Mi',
};

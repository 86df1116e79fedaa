// Who gets the sidecar and why not: each rule with its reason, written out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { injectionDecision, type InjectablePod } from '../../control-plane/src/webhook/decision.js';
import { uninjectedPods, type ObservedPod } from '../../control-plane/src/webhook/uninjected.js';

const OPTED_IN = { name: 'shop', labels: { 'laneway.dev/inject': 'enabled' } };
const PLAIN = { name: 'shop', labels: {} };
const pod = (labels: Record<string, string>, annotations?: Record<string, string>, spec: InjectablePod['spec'] = { containers: [{ name: 'app' }] }): InjectablePod => ({
  metadata: { name: 'p', labels, ...(annotations && { annotations }) }, spec,
});

describe('injection decision', () => {
  const skips: Array<[string, InjectablePod, { name: string; labels: Record<string, string> }, string]> = [
    ['kube-system, even when asked', pod({ app: 'dns' }, { 'laneway.dev/inject': 'true' }), { name: 'kube-system', labels: {} }, 'system-namespace'],
    ['the control plane in an opted-in namespace', pod({ 'app.kubernetes.io/name': 'laneway' }), OPTED_IN, 'control-plane-pod'],
    ['a pod with the marker annotation', pod({ app: 'orders' }, { 'laneway.dev/injected': 'orders/stable; capture on' }), OPTED_IN, 'already-injected'],
    ['a pod with the sidecar container', pod({ app: 'orders' }, undefined, { containers: [{ name: 'app' }], initContainers: [{ name: 'laneway-proxy' }] }), OPTED_IN, 'already-injected'],
    ['a pod that opts out in an opted-in namespace', pod({ app: 'orders' }, { 'laneway.dev/inject': 'false' }), OPTED_IN, 'pod-opted-out'],
    ['a pod in a namespace that did not opt in', pod({ app: 'orders' }), PLAIN, 'not-opted-in'],
    ['a namespace label other than enabled', pod({ app: 'orders' }), { name: 'shop', labels: { 'laneway.dev/inject': 'yes' } }, 'not-opted-in'],
    ['inject: "yes"', pod({ app: 'orders' }, { 'laneway.dev/inject': 'yes' }), OPTED_IN, 'invalid-annotation'],
    ['capture: "no"', pod({ app: 'orders' }, { 'laneway.dev/capture': 'no' }), OPTED_IN, 'invalid-annotation'],
    ['excluded ports not ports', pod({ app: 'orders' }, { 'laneway.dev/exclude-outbound-ports': '5432;rm -rf' }), OPTED_IN, 'invalid-annotation'],
    ['excluded port 70000', pod({ app: 'orders' }, { 'laneway.dev/exclude-outbound-ports': '70000' }), OPTED_IN, 'invalid-annotation'],
    ['excluded CIDRs not CIDRs', pod({ app: 'orders' }, { 'laneway.dev/exclude-outbound-cidrs': '$(reboot)' }), OPTED_IN, 'invalid-annotation'],
    ['an IPv6 CIDR (the capture script installs IPv4 rules only)', pod({ app: 'orders' }, { 'laneway.dev/exclude-outbound-cidrs': 'fd00::/8' }), OPTED_IN, 'invalid-annotation'],
    ['a /33', pod({ app: 'orders' }, { 'laneway.dev/exclude-outbound-cidrs': '10.0.0.0/8,10.1.0.0/33' }), OPTED_IN, 'invalid-annotation'],
    ['host network', pod({ app: 'orders' }, undefined, { containers: [{ name: 'app' }], hostNetwork: true }), OPTED_IN, 'host-network'],
    ['no service name', pod({ tier: 'backend' }), OPTED_IN, 'no-service-name'],
    ['a service name that is no DNS label (it goes into the bootstrap)', pod({ app: 'orders' }, { 'laneway.dev/service': 'orders|x\n  admin:' }), OPTED_IN, 'invalid-name'],
    ['a lane label that is no DNS label', pod({ app: 'orders', 'laneway.dev/lane': 'Feature_X' }), OPTED_IN, 'invalid-name'],
  ];
  for (const [what, p, ns, reason] of skips) {
    test(`skipped: ${what} -> ${reason}`, () => {
      const d = injectionDecision(p, ns);
      assert.equal(d.inject, false);
      assert.equal(!d.inject && d.reason, reason);
    });
  }

  test('injected: service from annotation, then app.kubernetes.io/name, then app; lane from laneway.dev/lane, else stable', () => {
    assert.deepEqual(injectionDecision(pod({ app: 'a', 'app.kubernetes.io/name': 'b' }, { 'laneway.dev/service': 'c' }), OPTED_IN),
      { inject: true, service: 'c', lane: 'stable', optedInBy: 'namespace', capture: true, excludePorts: '', excludeCidrs: '' });
    assert.deepEqual(injectionDecision(pod({ app: 'a', 'app.kubernetes.io/name': 'b', 'laneway.dev/lane': 'feature-x' }, { 'laneway.dev/inject': 'true', 'laneway.dev/capture': 'false' }), PLAIN),
      { inject: true, service: 'b', lane: 'feature-x', optedInBy: 'pod', capture: false, excludePorts: '', excludeCidrs: '' });
    assert.deepEqual(injectionDecision(pod({ app: 'a' }, { 'laneway.dev/exclude-outbound-ports': '5432, 6379', 'laneway.dev/exclude-outbound-cidrs': '10.0.0.0/8, 169.254.169.254' }), OPTED_IN),
      { inject: true, service: 'a', lane: 'stable', optedInBy: 'namespace', capture: true, excludePorts: '5432,6379', excludeCidrs: '10.0.0.0/8,169.254.169.254' });
  });
});

test('uninjected pods: opted in but running without the sidecar, with the reason; finished and injected pods are not counted', () => {
  const pods: ObservedPod[] = [
    { metadata: { name: 'orders-1', labels: { app: 'orders' } }, status: { phase: 'Running' } },
    { metadata: { name: 'orders-0', labels: { app: 'orders' }, annotations: { 'laneway.dev/injected': 'orders/stable; capture on' } }, status: { phase: 'Running' } },
    { metadata: { name: 'job-0', labels: { app: 'job' } }, status: { phase: 'Succeeded' } },
    { metadata: { name: 'nameless', labels: {} }, status: { phase: 'Pending' } },
    { metadata: { name: 'optout', labels: { app: 'x' }, annotations: { 'laneway.dev/inject': 'false' } } },
    { metadata: { name: 'laneway-abc', labels: { 'app.kubernetes.io/name': 'laneway' } } },
  ];
  assert.deepEqual(uninjectedPods(pods, OPTED_IN).map((p) => [p.pod, p.reason]), [['nameless', 'no-service-name'], ['orders-1', 'webhook-not-called']]);
  assert.deepEqual(uninjectedPods(pods, PLAIN), []);
});

// xDS versions across reconnects: what each Envoy runs (its admin /config_dump) against what the
// control plane says it sent and the Envoy acknowledged (GET /v1/proxies).
import { adminJson } from '../support/envoy-admin.js';

export interface Proxy {
  nodeId: string;
  adminPort: number;
}

/** "CDS <v> LDS <v> RDS <v,...>": the versions an Envoy last applied (the CDS and LDS dumps' version_info, each route config's). */
export async function envoyVersions(adminPort: number): Promise<string> {
  const dump = await adminJson(adminPort, '/config_dump');
  let cds = '-';
  let lds = '-';
  const rds = new Set<string>();
  for (const config of dump.configs as any[]) {
    if (String(config['@type']).endsWith('.ClustersConfigDump')) cds = config.version_info ?? '-';
    if (String(config['@type']).endsWith('.ListenersConfigDump')) lds = config.version_info ?? '-';
    for (const r of config.dynamic_route_configs ?? []) rds.add(r.version_info);
  }
  return `CDS ${cds} LDS ${lds} RDS ${[...rds].sort().join(',') || '-'}`;
}

interface TypeView {
  status: string;
  ackedVersion: string | null;
}

/** Per node id: the same string from the control plane's view, or why it is not in sync. */
async function controlPlaneVersions(apiUrl: string): Promise<Map<string, string>> {
  const body = (await (await fetch(`${apiUrl}/v1/proxies`)).json()) as { items: Array<{ id: string; types: Record<string, TypeView> }> };
  const out = new Map<string, string>();
  for (const p of body.items) {
    const unsynced = Object.entries(p.types).filter(([, t]) => t.status !== 'SYNCED' && t.status !== 'IGNORED');
    if (unsynced.length > 0) out.set(p.id, `not synced: ${unsynced.map(([k, t]) => `${k} ${t.status}`).join(', ')}`);
    else out.set(p.id, `CDS ${p.types.CDS?.ackedVersion ?? '-'} LDS ${p.types.LDS?.ackedVersion ?? '-'} RDS ${p.types.RDS?.ackedVersion ?? '-'}`);
  }
  return out;
}

export interface VersionCheck {
  /** Milliseconds until every Envoy was connected and ran what the control plane acknowledged. */
  ms: number;
  consistent: boolean;
  /** node id -> Envoy's versions, when consistent. */
  versions: Record<string, string>;
  /** One line per Envoy that differed at the deadline. */
  mismatches: string[];
}

/** Polls until every proxy is connected, synced, and runs exactly the versions the control plane acknowledged, or timeoutMs. */
export async function checkVersions(apiUrl: string, proxies: readonly Proxy[], timeoutMs: number): Promise<VersionCheck> {
  const started = Date.now();
  let mismatches: string[] = ['not checked'];
  let versions: Record<string, string> = {};
  while (Date.now() - started < timeoutMs) {
    try {
      const served = await controlPlaneVersions(apiUrl);
      versions = Object.fromEntries(await Promise.all(proxies.map(async (p) => [p.nodeId, await envoyVersions(p.adminPort)] as const)));
      mismatches = proxies.filter((p) => served.get(p.nodeId) !== versions[p.nodeId]).map((p) => `${p.nodeId}: Envoy runs ${versions[p.nodeId]}, control plane: ${served.get(p.nodeId) ?? 'not connected'}`);
      if (mismatches.length === 0) return { ms: Date.now() - started, consistent: true, versions, mismatches };
    } catch (err) {
      mismatches = [`error: ${(err as Error).message}`];
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ms: Date.now() - started, consistent: false, versions, mismatches };
}

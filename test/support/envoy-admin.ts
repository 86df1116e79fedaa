// Reads a live Envoy's admin interface: the versions it runs and its counters.

export async function adminJson(adminPort: number, path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${adminPort}${path}`);
  if (!res.ok) throw new Error(`envoy admin ${path} answered ${res.status}`);
  return res.json();
}

/** "type name -> version_info" for every dynamic listener, route config and cluster. */
export async function dynamicVersions(adminPort: number): Promise<Record<string, string>> {
  const dump = await adminJson(adminPort, '/config_dump');
  const versions: Record<string, string> = {};
  for (const config of dump.configs as any[]) {
    for (const l of config.dynamic_listeners ?? []) versions[`listener ${l.name}`] = l.active_state?.version_info;
    for (const r of config.dynamic_route_configs ?? []) versions[`route ${r.route_config.name}`] = r.version_info;
    for (const c of config.dynamic_active_clusters ?? []) versions[`cluster ${c.cluster.name}`] = c.version_info;
  }
  return versions;
}

export async function counters(adminPort: number, names: string[]): Promise<Record<string, number>> {
  const stats = await adminJson(adminPort, '/stats?format=json');
  const out: Record<string, number> = {};
  for (const s of stats.stats as Array<{ name: string; value: number }>) if (names.includes(s.name)) out[s.name] = s.value;
  return out;
}

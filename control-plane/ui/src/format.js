// Small pure formatting helpers shared by the pages.

/** "2h 05m", "4m 09s", "expired"; null for no expiry. */
export function timeLeft(expiresAt, now) {
  if (!expiresAt) return null;
  const s = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (s <= 0) return 'expired';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  return `${m}m ${pad(s % 60)}s`;
}

/** "team=pay, env=qa" */
export function labelText(labels) {
  return Object.entries(labels ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ');
}

/** The fallback chain as far as the known lanes tell: ["feature-x-fix", "feature-x", "stable"]. */
export function fallbackChain(lane, byName) {
  const chain = [lane.name];
  let next = lane.fallback ?? 'stable';
  while (next !== 'stable' && !chain.includes(next) && chain.length < 20) {
    chain.push(next);
    next = byName.get(next)?.fallback ?? 'stable';
  }
  chain.push('stable');
  return chain;
}

/** "team=pay,env" -> {team: "pay", env: ""} */
export function parseLabels(text) {
  const labels = {};
  for (const term of text.split(',').map((t) => t.trim()).filter(Boolean)) {
    const [k, v = ''] = term.split('=');
    labels[k.trim()] = v.trim();
  }
  return labels;
}

/** Lines "orders=127.0.0.1:3001, 127.0.0.1:3002" -> {orders: ["127.0.0.1:3001", "127.0.0.1:3002"]} */
export function parseServices(text) {
  const services = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf('=');
    const name = (at < 0 ? line : line.slice(0, at)).trim();
    services[name] = at < 0 ? [] : line.slice(at + 1).split(/[,\s]+/).filter(Boolean);
  }
  return services;
}

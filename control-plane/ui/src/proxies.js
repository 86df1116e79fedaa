// The Proxies page: every connected Envoy, its sync state per xDS type (SYNCED, STALE, NACKED, ...),
// the versions sent and acked, Envoy's NACK text; and what the control plane sent it, as Envoy's
// /config_dump JSON, searchable.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get } from './api.js';
import { html } from './html.js';

const TYPES = ['CDS', 'EDS', 'LDS', 'RDS'];
const MAX_MATCHES = 200;

function TypeCell({ view }) {
  if (!view) return html`<td>—</td>`;
  return html`<td>
    <span class=${`badge sync-${view.status.toLowerCase().replace(' ', '-')}`}>${view.status}</span>
    <div class="versions">sent ${view.sentVersion?.slice(0, 10) ?? '—'} · acked ${view.ackedVersion?.slice(0, 10) ?? '—'}</div>
    ${view.nackError && html`<div class="nack" role="note">NACK: ${view.nackError}</div>`}
  </td>`;
}

function ConfigDump({ id, onClose }) {
  const [dump, setDump] = useState(undefined);
  const [search, setSearch] = useState('');
  const [state, setState] = useState('sent');
  useEffect(() => {
    setDump(undefined);
    get(`/v1/proxies/${encodeURIComponent(id)}/config_dump?state=${state}`).then((d) => setDump(JSON.stringify(d, null, 2)), (e) => setDump(`error: ${e.message}`));
  }, [id, state]);
  const lines = useMemo(() => (dump ?? '').split('\n'), [dump]);
  const matches = useMemo(() => {
    const term = search.trim().toLowerCase();
    if (!term) return [];
    const out = [];
    for (let i = 0; i < lines.length && out.length < MAX_MATCHES; i++) if (lines[i].toLowerCase().includes(term)) out.push(i);
    return out;
  }, [lines, search]);
  return html`<section class="card dump" aria-labelledby="dump-title">
    <h2 id="dump-title">Config dump: ${id}</h2>
    <div class="filters">
      <div class="field"><label for="dump-search">Search</label>
        <input id="dump-search" type="search" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} placeholder="cluster name, route, lane…" /></div>
      <div class="field"><label for="dump-state">Show</label>
        <select id="dump-state" value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
          <option value="sent">what was sent</option><option value="acked">what the proxy acked</option>
        </select></div>
      <button class="secondary" onClick=${onClose}>Close</button>
    </div>
    ${dump === undefined ? html`<p>Loading…</p>` : html`
      ${search.trim() && html`<p role="status">${matches.length}${matches.length === MAX_MATCHES ? '+' : ''} matching line${matches.length === 1 ? '' : 's'}</p>
        <ol class="matches">${matches.map((i) => html`<li><span class="lineno">${i + 1}</span> <code>${lines[i].trim()}</code></li>`)}</ol>`}
      <pre class="dump-text" tabindex="0" aria-label="config dump">${dump}</pre>`}
  </section>`;
}

export function ProxiesPage() {
  const [proxies, setProxies] = useState(undefined);
  const [error, setError] = useState('');
  const [open, setOpen] = useState(undefined);
  const load = () => get('/v1/proxies').then((r) => { setProxies(r); setError(''); }, (e) => setError(e.message));
  useEffect(() => {
    load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, []);
  return html`<section aria-labelledby="proxies-title">
    <h1 id="proxies-title">Proxies</h1>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${proxies === undefined ? html`<p>Loading…</p>` : html`
      <p>${proxies.items.length} connected to replica ${proxies.replica}</p>
      <div class="table-wrap" tabindex="0" role="region" aria-label="proxies table">
      <table class="proxies">
        <thead><tr><th scope="col">Node</th><th scope="col">Kind</th><th scope="col">Service</th><th scope="col">Lane</th>${TYPES.map((t) => html`<th scope="col">${t}</th>`)}<th scope="col">Config</th></tr></thead>
        <tbody>${proxies.items.map((p) => html`<tr key=${`${p.id}/${p.streamId}`} data-proxy=${p.id}>
          <th scope="row">${p.id}</th><td>${p.kind ?? '—'}</td><td>${p.service ?? '—'}</td><td>${p.lane ?? '—'}</td>
          ${TYPES.map((t) => html`<${TypeCell} view=${p.types[t]} />`)}
          <td><button class="secondary" onClick=${() => setOpen(p.id)} aria-label=${`config dump of ${p.id}`}>Config dump</button></td>
        </tr>`)}</tbody>
      </table></div>`}
    ${open && html`<${ConfigDump} id=${open} onClose=${() => setOpen(undefined)} />`}
  </section>`;
}

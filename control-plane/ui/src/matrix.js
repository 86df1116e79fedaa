// The lane x service matrix: for a page of lanes (paged and filtered on the server) and every
// service, which instance serves a call after fallback: the lane's own, one inherited up its chain,
// or stable; colour and text both say it. A cell explains itself (GET /v1/explain) on click.
import { useEffect, useState } from 'preact/hooks';
import { get, watchLanes } from './api.js';
import { html } from './html.js';
import { Pager } from './pager.js';

const PAGE_SIZE = 25;

export function cellText(cell) {
  const base = cell.kind === 'own' ? 'own' : cell.kind === 'inherited' ? `from ${cell.instance}` : 'stable';
  return cell.healthFallback ? `${base} · stable if unhealthy` : base;
}

/** Arrow keys move between cells (one tab stop for the whole grid); Enter or Space explains a cell. */
function onGridKey(e, explain) {
  const cell = e.target.closest('td[data-service]');
  if (!cell) return;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    explain(cell);
    return;
  }
  const row = cell.parentElement;
  const index = [...row.children].indexOf(cell);
  const moves = { ArrowLeft: () => cell.previousElementSibling, ArrowRight: () => cell.nextElementSibling, ArrowUp: () => row.previousElementSibling?.children[index], ArrowDown: () => row.nextElementSibling?.children[index] };
  const next = moves[e.key]?.();
  if (!next?.matches('td[data-service]')) return;
  e.preventDefault();
  cell.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

function Explanation({ target, onClose }) {
  // Each answer is kept with the cell it explains: a render before the new fetch starts, or a slow
  // answer for a cell clicked earlier, must not show one cell's explanation under another's title.
  const key = `${target.lane}/${target.service}`;
  const [held, setHeld] = useState({ key: undefined, answer: undefined });
  useEffect(() => {
    let current = true;
    const keep = (answer) => current && setHeld({ key, answer });
    get(`/v1/explain?service=${encodeURIComponent(target.service)}&lane=${encodeURIComponent(target.lane)}`).then(keep, (e) => keep({ error: e.message }));
    return () => { current = false; };
  }, [key]);
  const answer = held.key === key ? held.answer : undefined;
  return html`<aside class="card explain" aria-labelledby="explain-title" aria-live="polite">
    <h2 id="explain-title" tabindex="-1">${target.service} in ${target.lane}</h2>
    ${answer === undefined && html`<p>Loading…</p>`}
    ${answer?.error && html`<p class="form-error">${answer.error}</p>`}
    ${answer && !answer.error && html`
      <p class="reason">${answer.reason}</p>
      <ol class="steps">${answer.chain.map((s) => html`<li><strong>${s.lane}</strong>: ${s.note}</li>`)}</ol>
      <dl>
        <dt>Served by</dt><dd><code>${answer.servedBy}</code></dd>
        <dt>Cluster</dt><dd><code>${answer.cluster}</code></dd>
        <dt>Endpoints</dt><dd>${answer.endpoints.join(', ') || 'none'}</dd>
        <dt>Envoy route</dt><dd>${answer.envoy.via ?? '—'} ${answer.envoy.agrees ? '(agrees with the model)' : `(${answer.envoy.problem ?? 'does not agree'})`}</dd>
        <dt>Defined in</dt><dd>${answer.source?.kind ?? '—'}${answer.source?.file ? ` ${answer.source.file}` : ''}</dd>
      </dl>`}
    <button class="secondary" onClick=${onClose}>Close</button>
  </aside>`;
}

function Legend() {
  return html`<ul class="legend" aria-label="legend">
    <li><span class="cell own">own</span> the lane's own instance</li>
    <li><span class="cell inherited">from X</span> inherited from lane X up the fallback chain</li>
    <li><span class="cell stable">stable</span> no lane in the chain has one</li>
    <li><span class="cell own">· stable if unhealthy</span> health fallback on (fallbackOnUnhealthy)</li>
  </ul>`;
}

export function MatrixPage() {
  const [filters, setFilters] = useState({ lane: '', service: '' });
  const [draft, setDraft] = useState(filters);
  const [page, setPage] = useState(0);
  const [data, setData] = useState(undefined);
  const [error, setError] = useState('');
  const [target, setTarget] = useState(undefined);
  const load = () => {
    const params = new URLSearchParams({ offset: String(page * PAGE_SIZE), limit: String(PAGE_SIZE) });
    for (const [k, v] of Object.entries(filters)) if (v.trim()) params.set(k, v.trim());
    return get(`/v1/matrix?${params}`).then((d) => { setData(d); setError(''); }, (e) => setError(e.message));
  };
  useEffect(() => { load(); }, [page, filters]);
  useEffect(() => watchLanes(() => load()), [page, filters]);
  const explainCell = (cell) => setTarget({ lane: cell.parentElement.dataset.lane, service: cell.dataset.service });
  const input = (key, label) => html`<div class="field"><label for=${`matrix-${key}`}>${label}</label>
    <input id=${`matrix-${key}`} type="search" value=${draft[key]} onInput=${(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} /></div>`;
  return html`<section aria-labelledby="matrix-title">
    <h1 id="matrix-title">Lane × service matrix</h1>
    <form class="filters" role="search" aria-label="filter the matrix" onSubmit=${(e) => { e.preventDefault(); setPage(0); setFilters(draft); }}>
      ${input('lane', 'Lane name contains')}${input('service', 'Service name contains')}<button type="submit">Filter</button>
    </form>
    <${Legend} />
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${data === undefined ? html`<p>Loading…</p>` : html`
      <p>${data.total} lanes × ${data.services.length} services</p>
      <div class="matrix-layout">
      ${target && html`<${Explanation} target=${target} onClose=${() => setTarget(undefined)} />`}
      <div class="table-wrap">
      <table class="matrix" role="grid" aria-label="which instance serves each service, per lane; Enter explains a cell"
        onClick=${(e) => { const cell = e.target.closest('td[data-service]'); if (cell) explainCell(cell); }} onKeyDown=${(e) => onGridKey(e, explainCell)}>
        <thead><tr><th scope="col">Lane</th>${data.services.map((s) => html`<th scope="col">${s}</th>`)}</tr></thead>
        <tbody>${data.rows.map((row, r) => html`<tr data-lane=${row.lane}>
          <th scope="row">${row.lane}</th>
          ${row.cells.map((cell, i) => html`<td data-service=${data.services[i]} class=${`cell ${cell.kind}`} tabindex=${r === 0 && i === 0 ? 0 : -1}>${cellText(cell)}</td>`)}
        </tr>`)}</tbody>
      </table></div></div>
      <${Pager} page=${page} total=${data.total} size=${PAGE_SIZE} onPage=${setPage} label="matrix" />`}
  </section>`;
}

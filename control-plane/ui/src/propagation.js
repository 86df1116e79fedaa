// The Propagation page: per service, whether the lane header survives its hops (GET /v1/propagation),
// once the control plane serves that; until then the page says so.
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { html } from './html.js';

function Value({ value }) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return html`<code>${JSON.stringify(value)}</code>`;
  return String(value);
}

/** Rows from the answer's list (items, services or findings), whatever its exact shape. */
function rowsOf(answer) {
  const list = answer?.items ?? answer?.services ?? answer?.findings ?? (Array.isArray(answer) ? answer : []);
  return Array.isArray(list) ? list : Object.entries(list).map(([service, v]) => ({ service, ...v }));
}

export function PropagationPage() {
  const [answer, setAnswer] = useState(undefined);
  useEffect(() => {
    get('/v1/propagation').then((a) => setAnswer({ ok: a }), (e) => setAnswer({ status: e.status, message: e.message }));
  }, []);
  const rows = answer?.ok ? rowsOf(answer.ok) : [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return html`<section aria-labelledby="propagation-title">
    <h1 id="propagation-title">Propagation</h1>
    ${answer === undefined && html`<p>Loading…</p>`}
    ${answer?.status === 404 && html`<p class="card" role="status">Propagation analysis is not available on this control plane (GET /v1/propagation answered 404). It shows here once the control plane serves it.</p>`}
    ${answer && !answer.ok && answer.status !== 404 && html`<p class="form-error" role="alert">${answer.message}</p>`}
    ${answer?.ok && (rows.length === 0 ? html`<p>No hops recorded yet.</p>` : html`
      <div class="table-wrap" tabindex="0" role="region" aria-label="propagation table">
      <table><thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${columns.map((c) => html`<td><${Value} value=${r[c]} /></td>`)}</tr>`)}</tbody></table></div>`)}
  </section>`;
}

// The Lanes page: every lane with its owner, labels, fallback chain, overridden services, time left
// (a live countdown) and status; filtered on the server by owner, label and service; paged; kept
// current by the lane-change stream; renew, delete (confirmed) and create for admins.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, get, watchLanes } from './api.js';
import { fallbackChain, labelText, timeLeft } from './format.js';
import { html } from './html.js';
import { LaneForm } from './lane-form.js';
import { Pager, pageOf } from './pager.js';

const PAGE_SIZE = 50;
const SOON_SECONDS = 15 * 60;

function query(filters) {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
  const text = params.toString();
  return `/v1/lanes${text ? `?${text}` : ''}`;
}

function statusOf(lane, now) {
  if (!lane.expiresAt) return ['active', 'active, no expiry'];
  const left = (Date.parse(lane.expiresAt) - now) / 1000;
  if (left <= 0) return ['expired', 'expired (being removed)'];
  return left < SOON_SECONDS ? ['soon', 'expiring soon'] : ['active', 'active'];
}

function Filters({ filters, onChange }) {
  const [draft, setDraft] = useState(filters);
  const input = (key, label, hint) => html`<div class="field">
    <label for=${`filter-${key}`}>${label}</label>
    <input id=${`filter-${key}`} type="search" placeholder=${hint} value=${draft[key]} onInput=${(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
  </div>`;
  return html`<form class="filters" role="search" aria-label="filter lanes" onSubmit=${(e) => { e.preventDefault(); onChange(draft); }}>
    ${input('owner', 'Owner is', 'ana')}${input('label', 'Has labels', 'team=pay')}${input('service', 'Overrides service', 'orders')}
    <button type="submit">Filter</button>
  </form>`;
}

function LaneRow({ lane, byName, now, canWrite, onRenew, onDelete }) {
  const [status, statusText] = statusOf(lane, now);
  const left = timeLeft(lane.expiresAt, now);
  return html`<tr data-lane=${lane.name}>
    <th scope="row"><a href=${`#/lane/${encodeURIComponent(lane.name)}`}>${lane.name}</a></th>
    <td data-label="Owner">${lane.owner ?? '—'}</td>
    <td data-label="Labels">${labelText(lane.labels) || '—'}</td>
    <td data-label="Fallback chain" class="chain">${fallbackChain(lane, byName).join(' → ')}</td>
    <td data-label="Services">${Object.keys(lane.services).sort().join(', ') || '—'}</td>
    <td data-label="Time left" class="countdown">${left ?? 'no expiry'}</td>
    <td data-label="Status"><span class=${`badge ${status}`}>${statusText}</span></td>
    ${canWrite && html`<td class="row-actions">
      <button class="secondary" onClick=${() => onRenew(lane)} aria-label=${`renew ${lane.name}`}>Renew</button>
      <button class="danger" onClick=${() => onDelete(lane)} aria-label=${`delete ${lane.name}`}>Delete</button>
    </td>`}
  </tr>`;
}

function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function LanesPage({ canWrite }) {
  const [filters, setFilters] = useState({ owner: '', label: '', service: '' });
  const [lanes, setLanes] = useState(undefined);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [page, setPage] = useState(0);
  const [creating, setCreating] = useState(false);
  const [mode, setMode] = useState('connecting');
  const now = useNow();
  const load = () => get(query(filters)).then((r) => { setLanes(r.items); setError(''); }, (e) => setError(e.message));
  useEffect(() => { load(); }, [filters]);
  useEffect(() => {
    let pending;
    const stop = watchLanes(() => { clearTimeout(pending); pending = setTimeout(load, 50); }, setMode);
    return () => { stop(); clearTimeout(pending); };
  }, [filters]);
  const byName = useMemo(() => new Map((lanes ?? []).map((l) => [l.name, l])), [lanes]);
  const act = async (what, fn) => {
    try {
      await fn();
      setNotice(what);
      await load();
    } catch (e) {
      setNotice(`${e.message}`);
    }
  };
  const onRenew = (lane) => act(`Renewed ${lane.name}`, () => api('POST', `/v1/lanes/${lane.name}/renew`, {}));
  const onDelete = (lane) => {
    if (!confirm(`Delete lane ${lane.name}? Its requests go to its fallback from now on.`)) return;
    act(`Deleted ${lane.name}`, () => api('DELETE', `/v1/lanes/${lane.name}`));
  };
  const shown = pageOf(lanes ?? [], page, PAGE_SIZE);
  return html`<section aria-labelledby="lanes-title">
    <div class="title-row">
      <h1 id="lanes-title">Lanes</h1>
      <span class="live" role="status">${mode === 'live' ? 'live updates' : mode === 'polling' ? 'polling every 2 s' : ''}</span>
      ${canWrite && !creating && html`<button onClick=${() => setCreating(true)}>New lane</button>`}
    </div>
    ${creating && html`<${LaneForm} onCreated=${(l) => { setCreating(false); setNotice(`Created ${l.name}`); load(); }} onCancel=${() => setCreating(false)} />`}
    <${Filters} filters=${filters} onChange=${(f) => { setPage(0); setFilters(f); }} />
    <p class="notice" role="status" aria-live="polite">${notice}</p>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${lanes === undefined ? html`<p>Loading…</p>` : html`
      <p>${lanes.length} lane${lanes.length === 1 ? '' : 's'}</p>
      <div class="table-wrap" tabindex="0" role="region" aria-label="lanes table">
      <table class="lanes">
        <thead><tr><th scope="col">Lane</th><th scope="col">Owner</th><th scope="col">Labels</th><th scope="col">Fallback chain</th><th scope="col">Services overridden</th><th scope="col">Time left</th><th scope="col">Status</th>${canWrite && html`<th scope="col">Actions</th>`}</tr></thead>
        <tbody>${shown.map((lane) => html`<${LaneRow} key=${lane.name} lane=${lane} byName=${byName} now=${now} canWrite=${canWrite} onRenew=${onRenew} onDelete=${onDelete} />`)}</tbody>
      </table></div>
      <${Pager} page=${page} total=${lanes.length} size=${PAGE_SIZE} onPage=${setPage} label="lanes" />`}
  </section>`;
}

// One lane: its definition, and the preview links that enter it at the ingress (subdomain, query,
// cookie, header, baggage), each copyable.
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { labelText, timeLeft } from './format.js';
import { html } from './html.js';

function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard needs a secure context; select the text for a manual copy instead.
      const range = document.createRange();
      const node = document.querySelector(`[data-copy="${CSS.escape(text)}"]`);
      if (node) { range.selectNodeContents(node); getSelection().removeAllRanges(); getSelection().addRange(range); }
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return html`<button class="secondary" onClick=${copy} aria-label=${`copy ${label}`}>${done ? 'Copied' : 'Copy'}</button>`;
}

function Links({ ingresses }) {
  if (ingresses.length === 0) return html`<p>No ingress Envoy is connected, so there is no address to enter the lane by.</p>`;
  return ingresses.map((ing) => html`<div class="ingress">
    <h3>Ingress ${ing.origin}</h3>
    <table class="links">
      <thead><tr><th scope="col">By</th><th scope="col">Link</th><th scope="col">Carries</th><th scope="col">curl</th></tr></thead>
      <tbody>${ing.links.map((l) => html`<tr data-mechanism=${l.mechanism}>
        <th scope="row">${l.mechanism}</th>
        <td>${l.carries ? html`<code>${l.url}</code>` : html`<a href=${l.url} data-copy=${l.url}>${l.url}</a>`} <${CopyButton} text=${l.url} label=${`${l.mechanism} link`} /></td>
        <td>${l.carries ?? '—'}</td>
        <td><code data-copy=${l.curl}>${l.curl}</code> <${CopyButton} text=${l.curl} label=${`${l.mechanism} curl command`} /></td>
      </tr>`)}</tbody>
    </table></div>`);
}

export function LanePage({ name }) {
  const [lane, setLane] = useState(undefined);
  const [links, setLinks] = useState(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    get(`/v1/lanes/${encodeURIComponent(name)}`).then(setLane, (e) => setError(e.message));
    get(`/v1/lanes/${encodeURIComponent(name)}/links`).then((r) => setLinks(r.ingresses), () => setLinks([]));
  }, [name]);
  return html`<section aria-labelledby="lane-title">
    <p><a href="#/lanes">← all lanes</a></p>
    <h1 id="lane-title">Lane ${name}</h1>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${lane && html`<dl class="card">
      <dt>Owner</dt><dd>${lane.owner ?? '—'}</dd>
      <dt>Description</dt><dd>${lane.description ?? '—'}</dd>
      <dt>Labels</dt><dd>${labelText(lane.labels) || '—'}</dd>
      <dt>Fallback</dt><dd>${lane.fallback ?? 'stable'}</dd>
      <dt>Time left</dt><dd>${timeLeft(lane.expiresAt, Date.now()) ?? 'no expiry'}</dd>
      <dt>Services</dt><dd>${Object.entries(lane.services).map(([s, eps]) => html`<div><strong>${s}</strong>: ${eps.join(', ') || 'no endpoints'}</div>`)}</dd>
    </dl>`}
    <h2>Preview links</h2>
    ${links === undefined ? html`<p>Loading…</p>` : html`<${Links} ingresses=${links} />`}
  </section>`;
}

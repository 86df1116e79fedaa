// Paging controls: previous / next and where we are, for client- or server-paged lists.
import { html } from './html.js';

export function pageOf(items, page, size) {
  return items.slice(page * size, page * size + size);
}

export function Pager({ page, total, size, onPage, label }) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return null;
  return html`<nav class="pager" aria-label=${`${label} pages`}>
    <button class="secondary" disabled=${page === 0} onClick=${() => onPage(page - 1)}>Previous</button>
    <span>page ${page + 1} of ${pages}</span>
    <button class="secondary" disabled=${page >= pages - 1} onClick=${() => onPage(page + 1)}>Next</button>
  </nav>`;
}

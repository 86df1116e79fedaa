// The dashboard shell: who is signed in (a token, or loopback without tokens), navigation between
// pages by URL hash (#/lanes, #/matrix, ...) so links and the back button work, and the page.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, get, setToken, token } from './api.js';
import { html } from './html.js';
import { LanesPage } from './lanes.js';
import { LanePage } from './lane-detail.js';
import { MatrixPage } from './matrix.js';
import { PropagationPage } from './propagation.js';
import { ProxiesPage } from './proxies.js';

const PAGES = [
  ['lanes', 'Lanes'],
  ['matrix', 'Matrix'],
  ['proxies', 'Proxies'],
  ['propagation', 'Propagation'],
];

function currentRoute() {
  const [page = 'lanes', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { page, arg: rest.map(decodeURIComponent).join('/') };
}

function SignIn({ message, onSignedIn }) {
  const [value, setValue] = useState('');
  const submit = (e) => {
    e.preventDefault();
    setToken(value.trim());
    onSignedIn();
  };
  return html`<form class="card signin" onSubmit=${submit} aria-labelledby="signin-title">
    <h2 id="signin-title">Sign in</h2>
    <p>${message}</p>
    <label for="token">API token</label>
    <input id="token" type="password" autocomplete="off" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} required />
    <button type="submit">Sign in</button>
  </form>`;
}

function Page({ route, caller }) {
  const canWrite = caller.role === 'admin';
  switch (route.page) {
    case 'matrix': return html`<${MatrixPage} />`;
    case 'proxies': return html`<${ProxiesPage} />`;
    case 'propagation': return html`<${PropagationPage} />`;
    case 'lane': return html`<${LanePage} name=${route.arg} canWrite=${canWrite} />`;
    default: return html`<${LanesPage} canWrite=${canWrite} />`;
  }
}

function App() {
  const [route, setRoute] = useState(currentRoute());
  const [caller, setCaller] = useState(undefined);
  const [authError, setAuthError] = useState('');
  const identify = () => get('/v1/whoami').then(setCaller, (err) => {
    setCaller(null);
    setAuthError(err instanceof ApiFailure ? err.message : String(err));
  });
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    identify();
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signOut = () => {
    setToken('');
    setCaller(undefined);
    identify();
  };
  const active = route.page === 'lane' ? 'lanes' : route.page;
  return html`
    <header class="top">
      <span class="brand">Laneway</span>
      <nav aria-label="pages"><ul>
        ${PAGES.map(([id, label]) => html`<li><a href=${`#/${id}`} aria-current=${active === id ? 'page' : undefined}>${label}</a></li>`)}
      </ul></nav>
      ${caller && html`<span class="who">${caller.name} (${caller.role})${token() && html` <button class="link" onClick=${signOut}>sign out</button>`}</span>`}
    </header>
    <main id="main">
      ${caller === undefined && html`<p role="status">Loading…</p>`}
      ${caller === null && html`<${SignIn} message=${authError} onSignedIn=${identify} />`}
      ${caller && html`<${Page} route=${route} caller=${caller} />`}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));

// The dashboard's one client of the REST API: the token (kept for this tab only), JSON calls whose
// errors keep the API's {error, message, details}, and the lane-change stream.

const TOKEN_KEY = 'laneway-token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message ?? `the API answered ${status}`);
    this.status = status;
    this.body = body ?? {};
  }

  /** The API's field errors, keyed by the last segment of their path ("lanes/x/fallback" -> "fallback"). */
  fieldErrors() {
    const out = {};
    for (const d of this.body.details ?? []) {
      const field = String(d.path ?? '').split('/').filter(Boolean);
      const key = field[0] === 'lanes' ? (field[2] ?? field[1] ?? '') : (field.at(-1) ?? '');
      out[key === '' ? 'name' : key] = d.reason;
    }
    return out;
  }
}

function headers(extra) {
  const t = token();
  return { accept: 'application/json', ...(t && { authorization: `Bearer ${t}` }), ...extra };
}

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!res.ok) throw new ApiFailure(res.status, parsed);
  return parsed;
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

export const get = (path) => api('GET', path);

/**
 * Calls onChange(event) for every lane change the server reports (GET /v1/watch/lanes, read with
 * fetch so the token can be sent); when the stream fails, polls every 2 s until it can reconnect.
 * Returns a function that stops watching.
 */
export function watchLanes(onChange, onMode = () => {}) {
  let stopped = false;
  let controller;
  let pollTimer;
  const poll = () => {
    onMode('polling');
    pollTimer = setInterval(() => onChange({ polled: true }), 2000);
  };
  const connect = async () => {
    controller = new AbortController();
    try {
      const res = await fetch('/v1/watch/lanes', { headers: headers({ accept: 'text/event-stream' }), signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}`);
      clearInterval(pollTimer);
      onMode('live');
      await readEvents(res.body, onChange);
    } catch {
      // aborted, refused or dropped: fall back to polling, then try the stream again
    }
    if (stopped) return;
    clearInterval(pollTimer);
    poll();
    setTimeout(() => !stopped && connect(), 5000);
  };
  connect();
  return () => {
    stopped = true;
    clearInterval(pollTimer);
    controller?.abort();
  };
}

async function readEvents(body, onChange) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'lanes' && data) onChange(JSON.parse(data));
    }
  }
}

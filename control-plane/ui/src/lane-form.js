// The create-lane form: every field labelled, and the API's field errors shown next to the field
// they name (the server decides what is valid; the page does not repeat its rules).
import { useState } from 'preact/hooks';
import { api, ApiFailure } from './api.js';
import { parseLabels, parseServices } from './format.js';
import { html } from './html.js';

const FIELDS = [
  ['name', 'Name', 'text', 'a DNS label, e.g. feature-x'],
  ['fallback', 'Fallback lane', 'text', 'default: stable'],
  ['owner', 'Owner', 'text', ''],
  ['description', 'Description', 'text', ''],
  ['ttl', 'Time to live', 'text', 'e.g. 8h, 30m, 7d'],
  ['labels', 'Labels', 'text', 'team=pay, env=qa'],
  ['services', 'Services', 'textarea', 'one per line: orders=10.0.0.9:8080'],
];

function laneBody(values) {
  const body = { name: values.name.trim(), services: parseServices(values.services ?? '') };
  for (const key of ['fallback', 'owner', 'description', 'ttl']) if (values[key]?.trim()) body[key] = values[key].trim();
  if (values.labels?.trim()) body.labels = parseLabels(values.labels);
  return body;
}

export function LaneForm({ onCreated, onCancel }) {
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      const lane = await api('POST', '/v1/lanes', laneBody(values));
      setErrors({});
      setMessage('');
      onCreated(lane);
    } catch (err) {
      const fields = err instanceof ApiFailure ? err.fieldErrors() : {};
      setErrors(fields);
      setMessage(err.message);
    } finally {
      setBusy(false);
    }
  };
  const field = ([key, label, type, hint]) => {
    const error = errors[key];
    const described = [hint && `${key}-hint`, error && `${key}-error`].filter(Boolean).join(' ') || undefined;
    const props = { id: `lane-${key}`, name: key, value: values[key] ?? '', 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described, onInput: (e) => setValues({ ...values, [key]: e.currentTarget.value }) };
    return html`<div class="field">
      <label for=${props.id}>${label}</label>
      ${type === 'textarea' ? html`<textarea rows="3" ...${props}></textarea>` : html`<input type="text" required=${key === 'name'} ...${props} />`}
      ${hint && html`<small id=${`${key}-hint`}>${hint}</small>`}
      ${error && html`<span class="field-error" id=${`${key}-error`}>${error}</span>`}
    </div>`;
  };
  return html`<form class="card lane-form" onSubmit=${submit} aria-labelledby="create-title" novalidate>
    <h2 id="create-title">Create a lane</h2>
    ${FIELDS.map(field)}
    ${message && html`<p class="form-error" role="alert">${message}</p>`}
    <div class="actions">
      <button type="submit" disabled=${busy}>Create lane</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

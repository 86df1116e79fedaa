// Validation of the observation settings (issue 27): Settings.hopRecords and Settings.tracing.
// Same style as validate-dataplane.ts: path-named errors pushed, normalized fields returned.
import type { FieldError } from './errors.js';
import { COLLECTOR } from './patterns.js';
import type { Settings, TracingSettings } from './types.js';

export const OBSERVE_SETTINGS_FIELDS = ['hopRecords', 'tracing'] as const;

type Fields = Record<string, unknown>;

const TRACING_FIELDS = ['collector', 'samplingPercent'];

const show = (value: unknown) => String(JSON.stringify(value) ?? value);
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** "host:port" with a DNS name or IPv4 address and a port 1-65535. */
export function parseCollector(value: string): { host: string; port: number } | undefined {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at);
  const port = Number(value.slice(at + 1));
  if (!COLLECTOR.test(value)) return undefined;
  return { host, port };
}

function checkTracing(tracing: unknown, path: string, errors: FieldError[]): TracingSettings | undefined {
  if (!isObject(tracing)) {
    errors.push({ path, reason: `must be an object with collector ("host:port") and optional samplingPercent, got ${show(tracing)}` });
    return undefined;
  }
  const before = errors.length;
  for (const key of Object.keys(tracing)) if (!TRACING_FIELDS.includes(key)) errors.push({ path: `${path}/${key}`, reason: `unknown field (allowed: ${TRACING_FIELDS.join(', ')})` });
  const { collector, samplingPercent } = tracing;
  if (typeof collector !== 'string' || parseCollector(collector) === undefined) errors.push({ path: `${path}/collector`, reason: `must be the OTLP gRPC collector as "host:port", got ${show(collector)}` });
  if (samplingPercent !== undefined && (typeof samplingPercent !== 'number' || !Number.isFinite(samplingPercent) || samplingPercent < 0 || samplingPercent > 100)) {
    errors.push({ path: `${path}/samplingPercent`, reason: `must be a number from 0 to 100, got ${show(samplingPercent)}` });
  }
  if (errors.length > before) return undefined;
  return { collector: collector as string, ...(samplingPercent !== undefined && { samplingPercent: samplingPercent as number }) };
}

/** `hopRecords` (a boolean; false is dropped) and `tracing` ({collector, samplingPercent}). */
export function checkSettingsObserve(input: Fields, path: string, errors: FieldError[]): Pick<Settings, 'hopRecords' | 'tracing'> {
  const { hopRecords, tracing } = input;
  const out: Pick<Settings, 'hopRecords' | 'tracing'> = {};
  if (hopRecords !== undefined && typeof hopRecords !== 'boolean') errors.push({ path: `${path}/hopRecords`, reason: `must be true or false, got ${show(hopRecords)}` });
  else if (hopRecords === true) out.hopRecords = true;
  if (tracing !== undefined) {
    const checked = checkTracing(tracing, `${path}/tracing`, errors);
    if (checked) out.tracing = checked;
  }
  return out;
}

// A lane's expiry from what a request gives (ttl, expiresAt, or null to clear), what the lane had,
// and the settings' defaultLaneTtl / maxLaneTtl.
import { parseDuration } from '../model/duration.js';
import type { Settings } from '../model/types.js';
import { ApiError, unprocessableDefinition } from './errors.js';

export interface Expiry {
  expiresAt?: string;
  ttl?: string;
}

export interface ExpiryRequest {
  ttl?: unknown;
  expiresAt?: unknown;
}

/** now + seconds, rounded up to a whole second: readable, and never shorter than asked. */
function at(nowMs: number, seconds: number): string {
  return new Date(Math.ceil((nowMs + seconds * 1000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function ttlSeconds(ttl: string, path: string): number {
  const seconds = parseDuration(ttl);
  if (seconds === undefined) throw unprocessableDefinition([{ path: `${path}/ttl`, reason: `${JSON.stringify(ttl)} must be from 1s to 366d` }]);
  return seconds;
}

/** What the request asks for, before settings apply; absent fields keep what the lane had. */
function requested(input: ExpiryRequest, current: Expiry | undefined, nowMs: number, path: string): Expiry {
  const ttl = typeof input.ttl === 'string' ? input.ttl : input.ttl === null ? undefined : current?.ttl;
  if (typeof input.expiresAt === 'string') return { expiresAt: input.expiresAt, ...(ttl && { ttl }) };
  if (input.expiresAt === null) return ttl && typeof input.ttl === 'string' ? { ttl, expiresAt: at(nowMs, ttlSeconds(ttl, path)) } : {};
  if (typeof input.ttl === 'string') {
    // The same TTL again (a re-applied definition) keeps the deadline; only renew extends it.
    const keep = current?.ttl === input.ttl && current.expiresAt !== undefined;
    return { ttl: input.ttl, expiresAt: keep ? current.expiresAt : at(nowMs, ttlSeconds(input.ttl, path)) };
  }
  return { ...(current?.expiresAt && { expiresAt: current.expiresAt }), ...(ttl && { ttl }) };
}

function enforceMaximum(expiry: Expiry, settings: Settings, nowMs: number, path: string): void {
  const max = settings.maxLaneTtl === undefined ? undefined : parseDuration(settings.maxLaneTtl);
  if (max === undefined) return;
  const reason = `settings.maxLaneTtl is ${settings.maxLaneTtl}: lanes must expire within ${settings.maxLaneTtl}`;
  if (expiry.ttl !== undefined && ttlSeconds(expiry.ttl, path) > max) throw new ApiError(422, 'unprocessable', `${path}/ttl: ${JSON.stringify(expiry.ttl)} is longer than ${reason}`, [{ path: `${path}/ttl`, reason }]);
  const deadline = expiry.expiresAt === undefined ? Infinity : Date.parse(expiry.expiresAt);
  // A second of slack: a ttl of exactly maxLaneTtl, converted to a timestamp, must pass.
  if (deadline > nowMs + (max + 1) * 1000) throw new ApiError(422, 'unprocessable', `${path}/expiresAt: ${expiry.expiresAt === undefined ? 'a lane without expiry' : JSON.stringify(expiry.expiresAt)} breaks ${reason}`, [{ path: `${path}/expiresAt`, reason }]);
}

/** A deadline already passed would be swept at once: the write is refused instead. */
function refusePast(input: ExpiryRequest, nowMs: number, path: string): void {
  if (typeof input.expiresAt !== 'string' || Date.parse(input.expiresAt) > nowMs) return;
  const reason = 'is in the past; give a later time, or a ttl';
  throw new ApiError(422, 'unprocessable', `${path}/expiresAt: ${JSON.stringify(input.expiresAt)} ${reason}`, [{ path: `${path}/expiresAt`, reason }]);
}

/** The lane's expiry after a create or an update. */
export function planExpiry(input: ExpiryRequest, current: Expiry | undefined, settings: Settings, nowMs: number, path: string): Expiry {
  refusePast(input, nowMs, path);
  const asked = input.ttl === undefined && input.expiresAt === undefined && !current && settings.defaultLaneTtl !== undefined
    ? { ttl: settings.defaultLaneTtl, expiresAt: at(nowMs, ttlSeconds(settings.defaultLaneTtl, path)) }
    : requested(input, current, nowMs, path);
  enforceMaximum(asked, settings, nowMs, path);
  return asked;
}

/** The lane's expiry after a renewal: now + the given TTL, the lane's own, or the default. */
export function planRenewal(ttl: string | undefined, current: Expiry, settings: Settings, nowMs: number, path: string): Expiry {
  const period = ttl ?? current.ttl ?? settings.defaultLaneTtl;
  if (period === undefined) {
    throw new ApiError(422, 'unprocessable', `${path} has no ttl and none was given; send {"ttl": "2h"}`, [{ path: `${path}/ttl`, reason: 'the lane has no ttl to renew by; give one' }]);
  }
  const renewed = { ttl: period, expiresAt: at(nowMs, ttlSeconds(period, path)) };
  enforceMaximum(renewed, settings, nowMs, path);
  return renewed;
}

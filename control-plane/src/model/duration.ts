// Durations as people write them ("90s", "30m", "2h", "1h30m", "7d") for lane TTLs.

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
export const DURATION_PATTERN = '^(?:[0-9]{1,6}[dhms]){1,4}$';
const DURATION = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+)([dhms])/g;

export const DURATION_DESCRIPTION = 'a duration such as "90s", "30m", "2h", "1h30m" or "7d"';
/** A year: longer "temporary" lanes are a typo, and keep timers and dates in range. */
export const MAX_DURATION_SECONDS = 366 * 86400;

/** Seconds in `text`, or undefined when it is not a duration from 1 s to a year. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds >= 1 && seconds <= MAX_DURATION_SECONDS ? seconds : undefined;
}

/** "1h30m" for 5400; "0s" for 0 or less. */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  if (rest === 0) return '0s';
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}

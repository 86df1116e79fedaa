// Definitions are values: once handed on, nobody edits them in place. Freezing makes that a fact
// the memo layers can rely on (a frozen object seen again is the same input) instead of a hope.

/** Freezes `value` and everything under it; already frozen parts are skipped. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// Errors that name the field a user has to fix, shared by the validators, the store and the API.

/** One problem with a definition: `path` like "lanes/feature-x/fallback", `reason` a sentence. */
export interface FieldError {
  path: string;
  reason: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** "lanes/a/fallback: lane \"b\" does not exist (and 2 more errors)" */
export function describeErrors(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return 'invalid definition';
  const more = errors.length - 1;
  return `${first.path}: ${first.reason}${more > 0 ? ` (and ${more} more error${more > 1 ? 's' : ''})` : ''}`;
}

/** A write that would leave the definitions invalid; nothing was changed. */
export class ValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(describeErrors(errors));
    this.name = 'ValidationError';
  }
}

/** A delete that would break other definitions (`details` name them); nothing was changed. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly details: FieldError[],
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Deleting lane `name` while `dependants` (sorted) fall back to it: one wording for every lane backend. */
export function fallbackConflict(name: string, dependants: readonly string[]): ConflictError {
  const details = dependants.map((d) => ({ path: `lanes/${d}/fallback`, reason: `lane "${d}" falls back to "${name}"` }));
  const named = dependants.map((d) => `"${d}"`).join(', ');
  return new ConflictError(`lane "${name}" is the fallback of lane${dependants.length > 1 ? 's' : ''} ${named}; change their fallback first`, details);
}

/** The named object does not exist. */
export class NotFoundError extends Error {
  constructor(
    readonly kind: 'service' | 'lane',
    readonly objectName: string,
  ) {
    super(`${kind} "${objectName}" does not exist`);
    this.name = 'NotFoundError';
  }
}

/** A write conditioned on a resourceVersion (If-Match, If-None-Match) that does not hold; nothing was changed. */
export class PreconditionFailedError extends Error {
  constructor(
    readonly path: string,
    message: string,
    /** The object's resourceVersion now; undefined when it does not exist. */
    readonly currentVersion: string | undefined,
  ) {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

import { DeadlockError, SerializationError, ValidationError, describeValue } from "./errors.js";

/** Settings of `retry()`. */
export interface RetryOptions {
  /** Total calls of `fn`, the first one included. Default 3. */
  attempts?: number;
  /**
   * Error classes that make a call worth repeating. Default DeadlockError
   * and SerializationError, whose whole transaction the server rolled back.
   */
  on?: readonly (abstract new (...args: never[]) => Error)[];
  /**
   * Milliseconds before the second call. Each later wait doubles, and a
   * random jitter of up to half the wait is added so that two conflicting
   * callers do not retry in lockstep. Default 20.
   */
  backoffMs?: number;
  /** Called before each repeat with the error and the number of the next attempt. */
  onRetry?: (error: unknown, attempt: number) => void;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 20;

/**
 * Calls `fn` until it resolves, repeating it when it throws one of the
 * `on` error classes, at most `attempts` times in all. Wrap a whole
 * `db.transaction()` in it, never a single statement inside one, because
 * a deadlock or serialization failure rolls back the entire transaction.
 * The last error is rethrown unchanged, and errors of other classes are
 * rethrown at once.
 *
 * @example
 * await retry(
 *   () => db.transaction(async () => {
 *     await Account.objects.filter({ id: from }).update({ balance: F("balance").sub(10) });
 *     await Account.objects.filter({ id: to }).update({ balance: F("balance").add(10) });
 *   }, { isolation: "serializable" }),
 *   { attempts: 5, on: [DeadlockError, SerializationError], backoffMs: 10 },
 * );
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const on = options.on ?? [DeadlockError, SerializationError];

  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new ValidationError(`retry(): invalid attempts ${describeValue(attempts)}. Pass a whole number of 1 or more.`, {
      value: attempts,
    });
  }

  if (!Number.isFinite(backoffMs) || backoffMs < 0) {
    throw new ValidationError(`retry(): invalid backoffMs ${describeValue(backoffMs)}. Pass a number of milliseconds, 0 or more.`, {
      value: backoffMs,
    });
  }

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retryable = on.some((errorClass) => error instanceof errorClass || hasClassName(error, errorClass.name));

      if (!retryable || attempt >= attempts) {
        throw error;
      }

      options.onRetry?.(error, attempt + 1);
      const wait = backoffMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * (wait / 2)));
    }
  }
}

/**
 * Matches by name as well, so an error from the other build of core (ESM
 * next to CJS) still counts as the same class.
 */
function hasClassName(error: unknown, name: string): boolean {
  let prototype = typeof error === "object" && error !== null ? Object.getPrototypeOf(error) : null;

  for (let depth = 0; prototype !== null && depth < 16; depth += 1) {
    if ((prototype.constructor as { name?: string } | undefined)?.name === name) {
      return true;
    }

    prototype = Object.getPrototypeOf(prototype);
  }

  return false;
}

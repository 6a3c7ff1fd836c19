/**
 * Transaction-per-test rollback. The test body runs inside
 * `db.transaction()`, whose AsyncLocalStorage frame makes every query the
 * body awaits join that transaction, and a private error thrown at the end
 * makes `transaction()` roll it back.
 */
import type { Database } from "@chakra-orm/core";

/** Thrown at the end of a rolled-back body; one instance per call, never seen by callers. */
class RollbackSignal extends Error {
  constructor() {
    super("Chakra ORM testing: rolling back the test transaction.");
    this.name = "RollbackSignal";
  }
}

/** Raised when the ROLLBACK that ends a test transaction fails. */
export class RollbackFailedError extends Error {
  constructor(database: string, cause: unknown) {
    super(
      `Rolling back the test transaction on database "${database}" failed, so rows the test wrote may remain. ` +
        "Check the cause and recreate the test database.",
      { cause },
    );
    this.name = "RollbackFailedError";
  }
}

/**
 * Runs `body` inside a transaction on each database in `databases` and rolls
 * every one back afterwards, whether `body` resolves or throws. Returns the
 * body's result, or rethrows its error.
 *
 * Called inside an open transaction, it rolls back to a savepoint instead.
 * A `transaction()` that `body` opens becomes a savepoint. Callbacks
 * registered with `onCommit()` are dropped, because nothing commits. Only
 * queries started from `body`'s async context join, so work that runs
 * elsewhere (another process, or a request handled by a server listening
 * on a socket) uses its own connection and is not rolled back.
 *
 * @example
 * const count = await withRollback(db, async () => {
 *   await User.objects.create({ username: "ada" });
 *   return User.objects.count();
 * });
 */
export async function withRollback<T>(databases: DatabaseTarget, body: () => T | Promise<T>): Promise<T> {
  return rollBackEach(resolveTargets(databases, "withRollback"), body);
}

/**
 * The databases to roll back: one, several, or a function returning them,
 * called when the test runs. Use the function form when the database is
 * opened in `beforeAll`, after the test is defined.
 */
export type DatabaseTarget = Database | readonly Database[] | (() => Database | readonly Database[]);

function resolveTargets(databases: DatabaseTarget, caller: string): Database[] {
  const value = typeof databases === "function" ? databases() : databases;
  const list: unknown[] = Array.isArray(value) ? [...(value as readonly unknown[])] : [value];

  if (list.length === 0) {
    throw new TypeError(`${caller}(): expected a Database or a non-empty array of them, got an empty array.`);
  }

  for (const item of list) {
    // Duck-typed, because the ESM and the CJS build of core each have their own Database class.
    if (typeof (item as { transaction?: unknown } | null | undefined)?.transaction !== "function") {
      throw new TypeError(
        `${caller}(): expected a Database, got ${item === null ? "null" : typeof item}. ` +
          "When the database is opened in beforeAll, pass a function instead: rollback(() => db, body).",
      );
    }
  }

  return list as Database[];
}

/** Opens a transaction on the first database and recurses into the rest, so `body` runs inside all of them. */
async function rollBackEach<T>(list: readonly Database[], body: () => T | Promise<T>): Promise<T> {
  const [db, ...rest] = list;

  if (db === undefined) {
    return body();
  }

  const signal = new RollbackSignal();
  let result: T | undefined;

  try {
    await db.transaction(async () => {
      result = await rollBackEach(rest, body);
      throw signal;
    });
  } catch (error) {
    if (error !== signal) {
      throw error;
    }

    // Database.transaction() attaches a failed ROLLBACK to the error it rethrows.
    const rollbackError = (error as { rollbackError?: unknown }).rollbackError;

    if (rollbackError !== undefined) {
      throw new RollbackFailedError(db.name, rollbackError);
    }

    return result as T;
  }

  // transaction() only returns when its callback resolves, which never happens.
  throw new Error("withRollback(): the test transaction committed instead of rolling back.");
}

/**
 * Wraps a test function so that it runs in a transaction that is rolled back
 * when it ends. Pass the result to jest's `test()` or node:test's `test()`:
 * the arguments the runner passes (node:test's `TestContext`) reach `body`.
 * `databases` is read when the test runs, so `() => db` works for a
 * database opened in `beforeAll`.
 *
 * This is a wrapper instead of beforeEach/afterEach hooks because neither
 * jest nor node:test runs a hook and the test in one async context, so a
 * transaction opened in a hook would not be visible to the test's queries.
 *
 * @example
 * test("creates a user", rollback(() => db, async () => {
 *   await User.objects.create({ username: "ada" });
 *   expect(await User.objects.count()).toBe(1);
 * }));
 */
export function rollback<A extends unknown[]>(
  databases: DatabaseTarget,
  body: (...args: A) => unknown,
): (...args: A) => Promise<void> {
  // The wrapper declares no parameters, so its `length` is 0 and neither
  // runner mistakes it for a test that takes a `done` callback.
  return function rolledBackTest(...args: A): Promise<void> {
    return withRollback(databases, async () => {
      await body(...args);
    });
  };
}

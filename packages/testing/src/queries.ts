/** Query capture and query-count assertions built on the Database `query` event. */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Database, QueryEvent } from "@chakra-orm/core";

export interface CaptureOptions {
  /**
   * Leave out transaction control statements (BEGIN, START TRANSACTION,
   * COMMIT, ROLLBACK, SAVEPOINT, RELEASE SAVEPOINT, SET TRANSACTION).
   * Default false, so a `transaction()` inside the callback counts.
   */
  excludeTransactionControl?: boolean;
  /**
   * "all" (default) records every query the database runs while the
   * callback is pending. "callback" records only queries started from the
   * callback's async context, which ignores concurrent work such as
   * another request that a server is handling.
   */
  scope?: "all" | "callback";
}

export interface CapturedQueries<T> {
  /** The callback's return value. */
  result: T;
  /** The `query` events in the order the statements finished. */
  queries: QueryEvent[];
}

const TRANSACTION_CONTROL =
  /^\s*(begin|start\s+transaction|commit|rollback|savepoint|release(\s+savepoint)?|set\s+transaction)\b/i;

/** Returns true for BEGIN, COMMIT, ROLLBACK, SAVEPOINT and similar statements. */
export function isTransactionControl(sql: string): boolean {
  return TRANSACTION_CONTROL.test(sql);
}

const captureStorage = new AsyncLocalStorage<symbol>();

/**
 * Runs `fn` and records the `query` events that `db` emits until it
 * settles. When `fn` throws, the error is rethrown and nothing is returned.
 *
 * @example
 * const { queries } = await captureQueries(db, () => User.objects.all());
 * console.log(queries.map((query) => query.sql));
 */
export async function captureQueries<T>(
  db: Database,
  fn: () => T | Promise<T>,
  options: CaptureOptions = {},
): Promise<CapturedQueries<T>> {
  const scope = options.scope ?? "all";

  if (scope !== "all" && scope !== "callback") {
    throw new TypeError(`captureQueries(): invalid scope "${String(scope)}". Use "all" or "callback".`);
  }

  const token = Symbol("capture");
  const queries: QueryEvent[] = [];
  // Database emits `query` synchronously in the async context of the call
  // that ran the statement, so the store identifies the callback's queries.
  const listener = (event: QueryEvent): void => {
    if (scope === "callback" && captureStorage.getStore() !== token) {
      return;
    }

    if (options.excludeTransactionControl && isTransactionControl(event.sql)) {
      return;
    }

    queries.push(event);
  };

  db.on("query", listener);

  try {
    const result = await captureStorage.run(token, fn);

    return { result, queries };
  } finally {
    db.off("query", listener);
  }
}

/** Raised by `expectQueries()` when the number of queries differs from the expected one. */
export class QueryCountError extends Error {
  readonly expected: number;
  readonly actual: number;
  readonly queries: readonly QueryEvent[];

  constructor(expected: number, queries: readonly QueryEvent[]) {
    super(formatMismatch(expected, queries));
    this.name = "QueryCountError";
    this.expected = expected;
    this.actual = queries.length;
    this.queries = queries;
  }
}

function formatMismatch(expected: number, queries: readonly QueryEvent[]): string {
  const plural = expected === 1 ? "query" : "queries";
  const header = `Expected ${expected} ${plural}, but ${queries.length} ran`;

  if (queries.length === 0) {
    return `${header}.`;
  }

  const lines = queries.map((query, index) => {
    const failed = query.error === undefined ? "" : " [failed]";

    return `  ${index + 1}. ${query.sql.replace(/\s+/g, " ").trim()}${failed}`;
  });

  return `${header}:\n${lines.join("\n")}`;
}

/**
 * Runs `fn` and raises QueryCountError, which lists the SQL that ran, unless
 * `db` ran exactly `expected` queries meanwhile. Returns `fn`'s result.
 *
 * @example
 * await expectQueries(db, 2, () => Post.objects.prefetchRelated("tags").all());
 */
export async function expectQueries<T>(
  db: Database,
  expected: number,
  fn: () => T | Promise<T>,
  options: CaptureOptions = {},
): Promise<T> {
  if (!Number.isInteger(expected) || expected < 0) {
    throw new TypeError(`expectQueries(): expected must be a non-negative integer, got ${String(expected)}.`);
  }

  const { result, queries } = await captureQueries(db, fn, options);

  if (queries.length !== expected) {
    throw new QueryCountError(expected, queries);
  }

  return result;
}

/**
 * Serializes migrate runs across processes: a session-level advisory lock
 * on PostgreSQL, GET_LOCK on MySQL and MariaDB, and one BEGIN EXCLUSIVE
 * transaction around the whole run on SQLite (each migration then runs in
 * a savepoint of it).
 */
import type { Database } from "../database.js";
import type { DriverConnection } from "../dialect.js";
import { MigrationError } from "./errors.js";

/** Key of the PostgreSQL advisory lock: "chak" in ASCII. */
const POSTGRES_LOCK_KEY = 0x6368616b;
const MYSQL_LOCK_NAME = "chakra_migrations";
const POLL_INTERVAL_MS = 100;

export async function withMigrationLock(db: Database, timeoutMs: number, fn: () => Promise<void>): Promise<void> {
  switch (db.dialect.name) {
    case "postgres":
      return withSessionLock(db, timeoutMs, fn, {
        acquire: `select pg_try_advisory_lock(${POSTGRES_LOCK_KEY}) as locked`,
        release: `select pg_advisory_unlock(${POSTGRES_LOCK_KEY}) as released`,
      });
    case "mysql":
      return withSessionLock(db, timeoutMs, fn, {
        acquire: `select get_lock('${MYSQL_LOCK_NAME}', 0) as locked`,
        release: `select release_lock('${MYSQL_LOCK_NAME}') as released`,
      });
    case "sqlite":
      return withSqliteLock(db, timeoutMs, fn);
    default:
      // NOTE: a dialect without a known lock runs migrations unserialized.
      return fn();
  }
}

/**
 * Holds a session lock on a connection of its own, outside the pool's
 * reach, while `fn` runs migrations on other connections.
 */
async function withSessionLock(
  db: Database,
  timeoutMs: number,
  fn: () => Promise<void>,
  statements: { acquire: string; release: string },
): Promise<void> {
  const { driver } = db.dialect;
  const connection = await driver.acquire();
  let discard = false;

  try {
    await pollLock(connection, statements.acquire, timeoutMs, db.dialect.name);

    try {
      await fn();
    } finally {
      try {
        await connection.execute({ sql: statements.release, params: [] }, { rowMode: "object", returnsRows: true });
      } catch (_error) {
        // Closing the session releases the lock, so drop the connection.
        discard = true;
      }
    }
  } finally {
    driver.release(connection, discard);
  }
}

async function pollLock(connection: DriverConnection, sql: string, timeoutMs: number, dialect: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  for (let attempt = 0; ; attempt += 1) {
    const result = await connection.execute({ sql, params: [] }, { rowMode: "object", returnsRows: true });
    const locked = (result.rows[0] as { locked?: unknown } | undefined)?.locked;

    if (locked === true || locked === 1 || locked === 1n || locked === "1") {
      return;
    }

    if (Date.now() >= deadline) {
      throw lockTimeout(dialect, timeoutMs, attempt);
    }

    await sleep(POLL_INTERVAL_MS);
  }
}

async function withSqliteLock(db: Database, timeoutMs: number, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  // Table rebuilds need foreign_keys off, and SQLite ignores that pragma
  // inside a transaction, so it is set on the connection first.
  await db.execute({ sql: "pragma foreign_keys = off", params: [] }, { rowMode: "array", returnsRows: false });

  try {
    for (let attempt = 0; ; attempt += 1) {
      let entered = false;

      try {
        await db.transaction(
          async () => {
            entered = true;
            await fn();
          },
          { exclusive: true },
        );

        return;
      } catch (error) {
        if (entered || !isBusy(error)) {
          throw error;
        }

        if (Date.now() >= deadline) {
          throw lockTimeout("sqlite", timeoutMs, attempt);
        }

        await sleep(POLL_INTERVAL_MS);
      }
    }
  } finally {
    await db.execute({ sql: "pragma foreign_keys = on", params: [] }, { rowMode: "array", returnsRows: false });
  }
}

function isBusy(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    const message = (current as { message?: unknown }).message;

    if (code === "SQLITE_BUSY" || (typeof message === "string" && message.includes("database is locked"))) {
      return true;
    }

    current = (current as { cause?: unknown }).cause;
  }

  return false;
}

function lockTimeout(dialect: string, timeoutMs: number, attempts: number): MigrationError {
  return new MigrationError(
    `Timed out after ${timeoutMs} ms (${attempts + 1} attempts) waiting for the migration lock on ${dialect}: another chakra migrate is running. Wait for it to finish, or raise --lock-timeout.`,
    { code: "lock", dialect },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { Dialect, TransactionOptions } from "@chakra-orm/core";
import { SqliteCompiler } from "./sqlite-compiler.js";
import { fts5CreateStatements, fts5DropStatements, fts5IndexStatements, fts5RemoveStatements } from "./fts5/fts5-schema.js";
import { SqliteDriver, type SqliteOptions } from "./sqlite-driver.js";
import { translateSqliteError } from "./sqlite-errors.js";

/**
 * SQLite allows 32,766 bound parameters per statement since 3.32
 * (better-sqlite3 12 bundles a newer SQLite), so bulk inserts chunk below it.
 */
const SQLITE_MAX_PARAMETERS = 32_766;

/**
 * Creates an SQLite dialect on better-sqlite3: a file (WAL, foreign keys
 * on, a busy timeout) or an in-memory database.
 *
 * @example
 * const db = new Database({ dialect: sqlite({ filename: "blog.db" }) });
 */
export function sqlite(options: SqliteOptions | string = {}): Dialect & { driver: SqliteDriver } {
  const settings = typeof options === "string" ? { filename: options } : options;
  const driver = new SqliteDriver(settings.filename ?? ":memory:", settings);

  return {
    name: "sqlite",
    compiler: new SqliteCompiler(),
    capabilities: {
      returning: true,
      transactionalDdl: true,
      selectForUpdate: false,
      statementTimeout: false,
    },
    maxParameters: SQLITE_MAX_PARAMETERS,
    driver,
    translateError: translateSqliteError,
    afterCreateTable: fts5CreateStatements,
    beforeDropTable: fts5DropStatements,
    createSearchIndex: fts5IndexStatements,
    dropSearchIndex: fts5RemoveStatements,
    beginStatements(transaction: TransactionOptions): string[] {
      // SQLite transactions are serializable whatever level is asked for.
      // A read-only one starts deferred; a writer takes the write lock at
      // once, so two writers never deadlock upgrading their locks.
      if (transaction.exclusive) {
        return ["begin exclusive"];
      }

      return [transaction.readOnly ? "begin deferred" : "begin immediate"];
    },
  };
}

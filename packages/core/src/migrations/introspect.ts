/**
 * Reads the tables of a live database into migration state, for
 * `chakra inspectdb`. Each dialect reads its own catalog: sqlite_master and
 * pragmas on SQLite, information_schema (plus pg_index for indexes) on
 * PostgreSQL and MySQL.
 */
import type { Database } from "../database.js";
import { sql } from "../sql.js";
import { MigrationError } from "./errors.js";
import { MIGRATIONS_TABLE } from "./executor.js";
import { introspectMysql } from "./introspect-mysql.js";
import { introspectPostgres } from "./introspect-postgres.js";
import { introspectSqlite } from "./introspect-sqlite.js";
import type { ReferentialAction, SchemaState } from "./state.js";

/** Reads every table except Chakra's own record table. */
export async function introspect(db: Database): Promise<SchemaState> {
  let state: SchemaState;

  switch (db.dialect.name) {
    case "sqlite":
      state = await introspectSqlite(db);
      break;
    case "postgres":
      state = await introspectPostgres(db);
      break;
    case "mysql":
      state = await introspectMysql(db);
      break;
    default:
      throw new MigrationError(`inspectdb does not support the ${db.dialect.name} dialect. It reads sqlite, postgres and mysql.`, {
        code: "operation",
        dialect: db.dialect.name,
      });
  }

  state.delete(MIGRATIONS_TABLE);

  return state;
}

/** Runs a catalog query and returns its rows. */
export async function rows<R>(db: Database, text: string): Promise<R[]> {
  return db.raw<R>(sql.raw(text));
}

export function referentialAction(rule: unknown): ReferentialAction {
  const text = String(rule ?? "").toLowerCase();

  if (text.includes("set null")) {
    return "set null";
  }

  return text.includes("cascade") ? "cascade" : "restrict";
}

/** Reads `'a', 'b'` values out of a CHECK expression such as `col in ('a','b')`. */
export function choicesFromCheck(expression: string): string[] {
  return [...expression.matchAll(/'((?:[^']|'')*)'/g)].map((match) => (match[1] ?? "").replace(/''/g, "'"));
}

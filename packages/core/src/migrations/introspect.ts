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
import type { ColumnState, DefaultValue, ReferentialAction, SchemaState } from "./state.js";

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

/**
 * Reads a column default that Chakra can store (a string, number or
 * boolean literal) from the catalog's SQL text, such as `0`, `'blog'`,
 * `'blog'::character varying` or `true`. Returns undefined for NULL and
 * for expressions such as `nextval(...)` or `current_timestamp()`, which a
 * model cannot declare as a literal.
 */
export function defaultFromSql(text: string | null | undefined, kind: ColumnState["kind"]): DefaultValue | undefined {
  if (text === null || text === undefined) {
    return undefined;
  }

  // PostgreSQL appends a cast (`::text`) and may wrap a negative number in parentheses.
  const bare = text
    .trim()
    .replace(/::[a-z ]+(\[\])?$/i, "")
    .replace(/^\((.*)\)$/s, "$1")
    .trim();
  const quoted = /^'((?:[^']|'')*)'$/s.exec(bare);
  const value = quoted ? (quoted[1] ?? "").replace(/''/g, "'") : bare;

  if (kind === "boolean") {
    const lower = value.toLowerCase();

    if (lower === "true" || lower === "1") {
      return true;
    }

    return lower === "false" || lower === "0" ? false : undefined;
  }

  if (["integer", "bigInteger", "float", "decimal"].includes(kind)) {
    const number = Number(value);

    return value !== "" && Number.isFinite(number) ? number : undefined;
  }

  if (["string", "text", "enum", "uuid"].includes(kind)) {
    // MariaDB writes a NULL default as the word NULL, and an unquoted word is an expression.
    // NOTE: checked on MariaDB 10.11 only. MySQL 8 writes string defaults unquoted, so they are skipped there.
    return quoted ? value : undefined;
  }

  return undefined;
}

/** Reads an SQLite schema through sqlite_master and the table pragmas. */
import type { Database } from "../database.js";
import type { ScalarKind } from "../fields.js";
import { sql } from "../sql.js";
import { choicesFromCheck, defaultFromSql, referentialAction, rows } from "./introspect.js";
import type { ColumnState, SchemaState, SearchState, TableState } from "./state.js";

interface ColumnRow {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

export async function introspectSqlite(db: Database): Promise<SchemaState> {
  const state: SchemaState = new Map();
  const tables = await rows<{ name: string; sql: string }>(
    db,
    "select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
  );

  const searches = new Map<string, { table: string; search: SearchState }>();

  for (const { name, sql: createSql } of tables) {
    const search = searchFromFts5(createSql);

    if (search) {
      searches.set(name, search);
    }
  }

  for (const { name, sql: createSql } of tables) {
    if (!isSearchTable(name, searches)) {
      state.set(name, await readTable(db, name, createSql));
    }
  }

  for (const { table, search } of searches.values()) {
    const target = state.get(table);

    if (target && !target.search) {
      target.search = search;
    }
  }

  return state;
}

/**
 * Reads the search index of a `field.search()` back from its FTS5 table,
 * created as `create virtual table "posts_fts" using fts5("title", "body",
 * content='posts', content_rowid='id', tokenize='porter ...')`. Returns
 * undefined for any other table.
 *
 * NOTE: FTS5 stores no weights, no language and no search column name, so
 * the fields come back unweighted, the porter tokenizer reads back as
 * "english" and any other as "simple", and the column is "search_vector".
 */
function searchFromFts5(createSql: string | null): { table: string; search: SearchState } | undefined {
  const match = /^create virtual table\s+(?:if not exists\s+)?\S+\s+using fts5\s*\((.*)\)\s*$/is.exec(createSql ?? "");
  const argumentsText = match?.[1] ?? "";
  const table = /content\s*=\s*'((?:[^']|'')+)'/i.exec(argumentsText)?.[1]?.replace(/''/g, "'");

  if (!match || !table) {
    return undefined;
  }

  const sources = [...argumentsText.matchAll(/(?:^|,)\s*"((?:[^"]|"")+)"/g)].map((item) => (item[1] ?? "").replace(/""/g, '"'));
  const tokenizer = /tokenize\s*=\s*'([^']*)'/i.exec(argumentsText)?.[1] ?? "";
  const language = /\bporter\b/i.test(tokenizer) ? "english" : "simple";

  return { table, search: { column: "search_vector", fields: sources.map((source) => ({ column: source })), language } };
}

/** True for an FTS5 table of a search index and for the shadow tables FTS5 keeps beside it. */
function isSearchTable(name: string, searches: Map<string, unknown>): boolean {
  if (searches.has(name)) {
    return true;
  }

  return ["_data", "_idx", "_content", "_docsize", "_config"].some((suffix) => name.endsWith(suffix) && searches.has(name.slice(0, -suffix.length)));
}

async function readTable(db: Database, name: string, createSql: string): Promise<TableState> {
  const table = sql.identifier(name);
  const columnRows = await db.raw<ColumnRow>(sql`pragma table_info(${table})`);
  const keys = await db.raw<{ table: string; from: string; to: string; on_delete: string }>(sql`pragma foreign_key_list(${table})`);
  const indexList = await db.raw<{ name: string; unique: number; origin: string }>(sql`pragma index_list(${table})`);
  const state: TableState = { name, columns: [], indexes: [], uniques: [], foreignKeys: [], checks: [] };
  const uniqueColumns = new Set<string>();

  for (const index of indexList) {
    const info = await db.raw<{ name: string }>(sql`pragma index_info(${sql.identifier(index.name)})`);
    const columns = info.map((item) => item.name);

    if (index.origin === "pk") {
      continue;
    }

    if (index.origin === "u" && columns.length === 1) {
      uniqueColumns.add(columns[0] as string);
    } else if (index.origin === "u") {
      state.uniques.push({ name: `${name}_${columns.join("_")}_uniq`, columns });
    } else {
      state.indexes.push({ name: index.name, columns, ...(index.unique ? { unique: true } : {}) });
    }
  }

  for (const row of columnRows) {
    state.columns.push(readColumn(row, createSql, uniqueColumns.has(row.name)));
  }

  for (const key of keys) {
    state.foreignKeys.push({
      name: `${name}_${key.from}_fk`,
      column: key.from,
      references: { table: key.table, column: key.to },
      onDelete: referentialAction(key.on_delete),
    });
  }

  return state;
}

function readColumn(row: ColumnRow, createSql: string, unique: boolean): ColumnState {
  const type = row.type.toLowerCase();
  const autoIncrement = row.pk > 0 && type === "integer" && /autoincrement/i.test(createSql);
  const column: ColumnState = { name: row.name, kind: autoIncrement ? "id" : kindOf(type) };

  if (row.pk > 0) {
    column.primaryKey = true;
  } else if (!row.notnull) {
    column.nullable = true;
  }

  if (unique) {
    column.unique = true;
  }

  const fallback = column.kind === "id" ? undefined : defaultFromSql(row.dflt_value, column.kind);

  if (fallback !== undefined) {
    column.default = fallback;
  }

  const check = new RegExp(`check \\(["\`]?${escapeRegExp(row.name)}["\`]? in \\(([^)]*)\\)\\)`, "i").exec(createSql);

  if (check && column.kind === "text") {
    column.kind = "enum";
    column.choices = choicesFromCheck(check[1] ?? "");
    // SQLite keeps no length, so this is the length field.enum() gives its choices.
    column.maxLength = Math.max(1, ...column.choices.map((choice) => choice.length));
  }

  return column;
}

function kindOf(type: string): ScalarKind {
  if (type.includes("int")) {
    return "integer";
  }

  if (type.includes("real") || type.includes("floa") || type.includes("doub")) {
    return "float";
  }

  if (type.includes("blob")) {
    return "binary";
  }

  return "text";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

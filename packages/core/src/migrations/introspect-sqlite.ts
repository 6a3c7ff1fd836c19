/** Reads an SQLite schema through sqlite_master and the table pragmas. */
import type { Database } from "../database.js";
import type { ScalarKind } from "../fields.js";
import { sql } from "../sql.js";
import { choicesFromCheck, referentialAction, rows } from "./introspect.js";
import type { ColumnState, SchemaState, TableState } from "./state.js";

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

  for (const { name, sql: createSql } of tables) {
    state.set(name, await readTable(db, name, createSql));
  }

  return state;
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

  const check = new RegExp(`check \\(["\`]?${escapeRegExp(row.name)}["\`]? in \\(([^)]*)\\)\\)`, "i").exec(createSql);

  if (check && column.kind === "text") {
    column.kind = "enum";
    column.choices = choicesFromCheck(check[1] ?? "");
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

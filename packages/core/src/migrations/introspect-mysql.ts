/** Reads a MySQL or MariaDB schema (the current database) through information_schema. */
import type { Database } from "../database.js";
import type { ScalarKind } from "../fields.js";
import { choicesFromCheck, defaultFromSql, referentialAction, rows } from "./introspect.js";
import type { ColumnState, SchemaState, SearchState } from "./state.js";

interface ColumnRow {
  table_name: string;
  column_name: string;
  column_type: string;
  is_nullable: string;
  column_key: string;
  extra: string;
  column_default: string | null;
  generation_expression: string | null;
}

export async function introspectMysql(db: Database): Promise<SchemaState> {
  const state: SchemaState = new Map();
  const tables = await rows<{ table_name: string }>(
    db,
    "select table_name as table_name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by table_name",
  );

  for (const { table_name } of tables) {
    state.set(table_name, { name: table_name, columns: [], indexes: [], uniques: [], foreignKeys: [], checks: [] });
  }

  const columns = await rows<ColumnRow>(
    db,
    "select table_name as table_name, column_name as column_name, column_type as column_type, is_nullable as is_nullable, column_key as column_key, extra as extra, column_default as column_default, generation_expression as generation_expression from information_schema.columns where table_schema = database() order by table_name, ordinal_position",
  );
  const statistics = await rows<StatisticsRow>(
    db,
    "select table_name as table_name, index_name as index_name, non_unique as non_unique, column_name as column_name, index_type as index_type from information_schema.statistics where table_schema = database() order by table_name, index_name, seq_in_index",
  );
  const keys = await rows<{ table_name: string; constraint_name: string; column_name: string; referenced_table_name: string; referenced_column_name: string; delete_rule: string }>(
    db,
    "select k.table_name as table_name, k.constraint_name as constraint_name, k.column_name as column_name, k.referenced_table_name as referenced_table_name, k.referenced_column_name as referenced_column_name, r.delete_rule as delete_rule from information_schema.key_column_usage k join information_schema.referential_constraints r on r.constraint_schema = k.constraint_schema and r.constraint_name = k.constraint_name and r.table_name = k.table_name where k.table_schema = database() and k.referenced_table_name is not null order by k.table_name, k.constraint_name",
  );
  const checks = await rows<{ table_name: string; constraint_name: string; check_clause: string }>(
    db,
    "select table_name as table_name, constraint_name as constraint_name, check_clause as check_clause from information_schema.check_constraints where constraint_schema = database() order by table_name, constraint_name",
  );

  for (const row of columns) {
    const table = state.get(row.table_name);
    const search = /generated/i.test(row.extra) ? searchFromExpression(row.column_name, row.generation_expression ?? "") : undefined;

    if (table && search && !table.search) {
      table.search = search;
    } else {
      table?.columns.push(readColumn(row));
    }
  }

  readIndexes(state, statistics, new Set(keys.map((key) => `${key.table_name}.${key.constraint_name}`)));

  for (const key of keys) {
    state.get(key.table_name)?.foreignKeys.push({
      name: key.constraint_name,
      column: key.column_name,
      references: { table: key.referenced_table_name, column: key.referenced_column_name },
      onDelete: referentialAction(key.delete_rule),
    });
  }

  for (const check of checks) {
    readCheck(state, check);
  }

  return state;
}

interface StatisticsRow {
  table_name: string;
  index_name: string;
  non_unique: number;
  column_name: string;
  index_type: string;
}

function readIndexes(state: SchemaState, statistics: StatisticsRow[], foreignKeyIndexes: Set<string>): void {
  const grouped = new Map<string, { table: string; name: string; unique: boolean; columns: string[] }>();

  for (const row of statistics) {
    const search = state.get(row.table_name)?.search;

    // The FULLTEXT index on the search column belongs to table.search.
    if (row.index_type === "FULLTEXT" && search?.column === row.column_name) {
      continue;
    }

    const key = `${row.table_name}.${row.index_name}`;
    const entry = grouped.get(key) ?? { table: row.table_name, name: row.index_name, unique: Number(row.non_unique) === 0, columns: [] };
    entry.columns.push(row.column_name);
    grouped.set(key, entry);
  }

  for (const [key, index] of grouped) {
    const table = state.get(index.table);

    if (!table || index.name === "PRIMARY" || foreignKeyIndexes.has(key)) {
      continue;
    }

    if (index.unique && index.columns.length === 1) {
      const column = table.columns.find((item) => item.name === index.columns[0]);

      if (column) {
        column.unique = true;
      }
    } else if (index.unique) {
      table.uniques.push({ name: index.name, columns: index.columns });
    } else {
      table.indexes.push({ name: index.name, columns: index.columns });
    }
  }
}

function readColumn(row: ColumnRow): ColumnState {
  const type = row.column_type.toLowerCase();
  const column: ColumnState = { name: row.column_name, kind: kindOf(type) };

  if (row.extra.toLowerCase().includes("auto_increment")) {
    column.kind = "id";
  }

  if (row.column_key === "PRI") {
    column.primaryKey = true;
  } else if (row.is_nullable === "YES") {
    column.nullable = true;
  }

  const size = /\((\d+)(?:,\s*(\d+))?\)/.exec(type);

  if (column.kind === "string") {
    column.maxLength = Number(size?.[1] ?? 255);
  }

  if (column.kind === "decimal") {
    column.precision = Number(size?.[1] ?? 10);
    column.scale = Number(size?.[2] ?? 0);
  }

  const fallback = column.kind === "id" ? undefined : defaultFromSql(row.column_default, column.kind);

  if (fallback !== undefined) {
    column.default = fallback;
  }

  return column;
}

/**
 * Reads the search index of a `field.search()` back from its generated
 * column, which MariaDB 10.11 prints as concat_ws(' ',`title`,`body`).
 * Returns undefined for any other generated column, which stays a column.
 *
 * NOTE: MySQL stores neither the weights nor the language of a search
 * field, so the fields come back unweighted with the default language
 * ("english").
 */
function searchFromExpression(column: string, expression: string): SearchState | undefined {
  const list = /^concat_ws\(' ',\s*(.*)\)$/is.exec(expression.trim())?.[1];
  const sources = [...(list ?? "").matchAll(/`((?:[^`]|``)+)`/g)].map((match) => (match[1] ?? "").replace(/``/g, "`"));

  if (sources.length === 0) {
    return undefined;
  }

  return { column, fields: sources.map((source) => ({ column: source })), language: "english" };
}

function kindOf(type: string): ScalarKind {
  const prefixes: [string, ScalarKind][] = [
    ["tinyint(1)", "boolean"],
    ["bigint", "bigInteger"],
    ["int", "integer"],
    ["smallint", "integer"],
    ["double", "float"],
    ["float", "float"],
    ["decimal", "decimal"],
    ["varchar", "string"],
    ["char(36)", "uuid"],
    ["char", "string"],
    ["datetime", "dateTime"],
    ["timestamp", "dateTime"],
    ["date", "date"],
    ["time", "time"],
    ["json", "json"],
    ["longblob", "binary"],
    ["blob", "binary"],
  ];

  return prefixes.find(([prefix]) => type.startsWith(prefix))?.[1] ?? "text";
}

/** MariaDB stores JSON as longtext with a json_valid check, and enums here use an IN check. */
function readCheck(state: SchemaState, check: { table_name: string; constraint_name: string; check_clause: string }): void {
  const table = state.get(check.table_name);

  if (!table) {
    return;
  }

  const clause = check.check_clause;
  const json = /^json_valid\(`([^`]+)`\)$/i.exec(clause.trim());
  const choice = /^`([^`]+)`\s+in\s+\(/i.exec(clause.trim());
  const column = table.columns.find((item) => item.name === (json?.[1] ?? choice?.[1]));

  if (json && column) {
    column.kind = "json";
  } else if (choice && column?.kind === "string") {
    column.kind = "enum";
    column.choices = choicesFromCheck(clause);
  } else {
    table.checks.push({ name: check.constraint_name, sql: clause });
  }
}

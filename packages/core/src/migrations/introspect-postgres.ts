/** Reads a PostgreSQL schema (the current schema) through information_schema and pg_index. */
import type { Database } from "../database.js";
import type { ScalarKind } from "../fields.js";
import { choicesFromCheck, defaultFromSql, referentialAction, rows } from "./introspect.js";
import type { ColumnState, SchemaState, SearchState, TableState } from "./state.js";

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  is_identity: string;
  column_default: string | null;
  is_generated: string;
  generation_expression: string | null;
}

const TYPES: Record<string, ScalarKind> = {
  integer: "integer",
  smallint: "integer",
  bigint: "bigInteger",
  "double precision": "float",
  real: "float",
  numeric: "decimal",
  "character varying": "string",
  character: "string",
  text: "text",
  boolean: "boolean",
  "timestamp with time zone": "dateTime",
  "timestamp without time zone": "dateTime",
  date: "date",
  "time without time zone": "time",
  jsonb: "json",
  json: "json",
  uuid: "uuid",
  bytea: "binary",
};

export async function introspectPostgres(db: Database): Promise<SchemaState> {
  const state: SchemaState = new Map();
  const tables = await rows<{ table_name: string }>(
    db,
    "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name",
  );

  for (const { table_name } of tables) {
    state.set(table_name, { name: table_name, columns: [], indexes: [], uniques: [], foreignKeys: [], checks: [] });
  }

  const columns = await rows<ColumnRow>(
    db,
    "select table_name, column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale, is_identity, column_default, is_generated, generation_expression from information_schema.columns where table_schema = current_schema() order by table_name, ordinal_position",
  );
  const constraints = await rows<{ table_name: string; name: string; type: string; columns: string[]; definition: string; ref_table: string | null; ref_columns: string[] | null; on_delete: string }>(
    db,
    `select t.relname as table_name, c.conname as name, c.contype as type,
       array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns,
       pg_get_constraintdef(c.oid) as definition, r.relname as ref_table,
       array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as ref_columns,
       c.confdeltype as on_delete
     from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
     left join pg_class r on r.oid = c.confrelid
     where n.nspname = current_schema() order by t.relname, c.conname`,
  );
  const indexes = await rows<{ table_name: string; name: string; unique: boolean; columns: string[] }>(
    db,
    `select t.relname as table_name, i.relname as name, ix.indisunique as unique,
       array(select a.attname::text from unnest(ix.indkey::int2[]) with ordinality k(n, o) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.n order by k.o) as columns
     from pg_index ix join pg_class t on t.oid = ix.indrelid join pg_class i on i.oid = ix.indexrelid
     join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = current_schema() and not ix.indisprimary
       and not exists (select 1 from pg_constraint c where c.conindid = ix.indexrelid)
     order by t.relname, i.relname`,
  );

  for (const row of columns) {
    const table = state.get(row.table_name);
    const search = row.is_generated === "ALWAYS" ? searchFromExpression(row.column_name, row.generation_expression ?? "") : undefined;

    if (table && search && !table.search) {
      table.search = search;
    } else {
      table?.columns.push(readColumn(row));
    }
  }

  for (const row of constraints) {
    const table = state.get(row.table_name);

    if (!table) {
      continue;
    }

    if (row.type === "p") {
      for (const name of row.columns) {
        markPrimaryKey(table.columns.find((item) => item.name === name));
      }
    } else if (row.type === "u" && row.columns.length === 1) {
      const column = table.columns.find((item) => item.name === row.columns[0]);

      if (column) {
        column.unique = true;
      }
    } else if (row.type === "u") {
      table.uniques.push({ name: row.name, columns: row.columns });
    } else if (row.type === "f" && row.ref_table) {
      table.foreignKeys.push({
        name: row.name,
        column: row.columns[0] as string,
        references: { table: row.ref_table, column: row.ref_columns?.[0] as string },
        onDelete: referentialAction({ c: "cascade", n: "set null" }[row.on_delete] ?? "restrict"),
      });
    } else if (row.type === "c") {
      readCheck(table.columns, row.columns, row.definition, table.checks, row.name);
    }
  }

  for (const row of indexes) {
    const table = state.get(row.table_name);

    if (table && isSearchIndex(table, row.columns)) {
      continue;
    }

    table?.indexes.push({ name: row.name, columns: row.columns, ...(row.unique ? { unique: true } : {}) });
  }

  return state;
}

function readColumn(row: ColumnRow): ColumnState {
  const kind = TYPES[row.data_type] ?? "text";
  const column: ColumnState = { name: row.column_name, kind: row.is_identity === "YES" ? "id" : kind };

  if (row.is_nullable === "YES") {
    column.nullable = true;
  }

  if (kind === "string") {
    column.maxLength = row.character_maximum_length ?? 255;
  }

  if (kind === "decimal") {
    column.precision = row.numeric_precision ?? 65;
    column.scale = row.numeric_scale ?? 0;
  }

  const fallback = column.kind === "id" ? undefined : defaultFromSql(row.column_default, kind);

  if (fallback !== undefined) {
    column.default = fallback;
  }

  return column;
}

/**
 * Reads the search index of a `field.search()` back from its generated
 * tsvector column, whose expression PostgreSQL 15 prints as
 * `(setweight(to_tsvector('english'::regconfig, COALESCE(body, ''::text)), 'B'::"char") || ...)`.
 * Returns undefined for any other generated column, which stays a column.
 */
function searchFromExpression(column: string, expression: string): SearchState | undefined {
  const language = /to_tsvector\('([A-Za-z_][A-Za-z0-9_]*)'::regconfig/.exec(expression)?.[1];
  const sources = [...expression.matchAll(/COALESCE\((?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)), ''/g)].map(
    (match) => match[2] ?? (match[1] ?? "").replace(/""/g, '"'),
  );
  const weights = [...expression.matchAll(/'([ABCD])'::"char"/g)].map((match) => match[1] as "A" | "B" | "C" | "D");

  if (!language || sources.length === 0 || (weights.length > 0 && weights.length !== sources.length)) {
    return undefined;
  }

  return {
    column,
    fields: sources.map((source, index) => (weights.length > 0 ? { column: source, weight: weights[index] } : { column: source })),
    language,
  };
}

/** True for the GIN index that `addSearch` puts on the search column. */
function isSearchIndex(table: TableState, columns: string[]): boolean {
  return table.search !== undefined && columns.length === 1 && columns[0] === table.search.column;
}

function markPrimaryKey(column: ColumnState | undefined): void {
  if (column) {
    column.primaryKey = true;
    delete column.nullable;
  }
}

/** Turns a one-column `IN (...)` check into an enum; keeps any other check as it is. */
function readCheck(
  columns: ColumnState[],
  names: string[],
  definition: string,
  checks: { name: string; sql: string }[],
  name: string,
): void {
  const column = names.length === 1 ? columns.find((item) => item.name === names[0]) : undefined;

  if (column?.kind === "string" && /= ANY|IN \(/i.test(definition)) {
    column.kind = "enum";
    column.choices = choicesFromCheck(definition);

    return;
  }

  checks.push({ name, sql: definition.replace(/^CHECK \((.*)\)$/s, "$1") });
}

/**
 * The schema as migrations see it: plain, JSON-serializable data that
 * migration files carry and that replaying their operations rebuilds.
 * Nothing here refers to model classes, so an old migration keeps working
 * after its models change.
 */
import { Field, type ScalarKind } from "../fields.js";
import type { SearchSpec } from "../search-node.js";
import type { SearchWeight } from "../search-options.js";
import { MigrationStateError } from "./errors.js";

/** A literal that a column default can hold in every dialect. */
export type DefaultValue = string | number | boolean;

/** One column. Kind-specific options (maxLength, precision, choices...) sit beside the known keys. */
export interface ColumnState {
  name: string;
  kind: ScalarKind;
  primaryKey?: boolean;
  nullable?: boolean;
  unique?: boolean;
  /** A database-level default; function defaults of a model are not stored. */
  default?: DefaultValue;
  maxLength?: number;
  precision?: number;
  scale?: number;
  choices?: readonly string[];
  [option: string]: unknown;
}

export interface IndexState {
  name: string;
  columns: string[];
  unique?: boolean;
}

/** A multi-column unique constraint (a model's `uniqueTogether`). */
export interface UniqueState {
  name: string;
  columns: string[];
}

export type ReferentialAction = "cascade" | "set null" | "restrict";

export interface ForeignKeyState {
  name: string;
  column: string;
  references: { table: string; column: string };
  onDelete: ReferentialAction;
}

export interface CheckState {
  name: string;
  /**
   * SQL boolean expression. `{{name}}` marks an identifier that each
   * dialect quotes when the check is created.
   */
  sql: string;
}

/**
 * The full-text search index of a model's `field.search()`. Each dialect
 * builds it next to the table: a generated tsvector column and a GIN index
 * on PostgreSQL, a generated column and a FULLTEXT index on MySQL, an FTS5
 * table and triggers on SQLite.
 */
export interface SearchState {
  /** The column of PostgreSQL's tsvector and MySQL's generated text. */
  column: string;
  /** The indexed string and text columns, with PostgreSQL weights when the model gives them. */
  fields: { column: string; weight?: SearchWeight }[];
  /** PostgreSQL text search configuration, such as "english". */
  language: string;
}

export interface TableState {
  name: string;
  columns: ColumnState[];
  indexes: IndexState[];
  uniques: UniqueState[];
  foreignKeys: ForeignKeyState[];
  checks: CheckState[];
  /** Absent when the model declares no search field. */
  search?: SearchState;
}

/** Tables by name, in the order they were created. */
export type SchemaState = Map<string, TableState>;

export function cloneTable(table: TableState): TableState {
  return structuredClone(table);
}

export function cloneState(state: SchemaState): SchemaState {
  return new Map([...state].map(([name, table]) => [name, cloneTable(table)]));
}

const KNOWN_KEYS = new Set(["name", "kind", "primaryKey", "nullable", "unique", "default"]);

/**
 * Builds a Field that describes a column, so the dialect's compiler can
 * name its SQL type exactly as it does for models.
 */
export function columnField(column: ColumnState): Field {
  const options: Record<string, unknown> = {};

  for (const [key, value] of Object.entries(column)) {
    if (!KNOWN_KEYS.has(key)) {
      options[key] = value;
    }
  }

  if (column.primaryKey) {
    options.primaryKey = true;
  }

  if (column.nullable) {
    options.nullable = true;
  }

  const item = new Field(column.kind, options);
  item.name = column.name;
  item.column = column.name;

  return item;
}

/** Compares two columns ignoring their names. */
export function sameColumnDefinition(left: ColumnState, right: ColumnState): boolean {
  return stableJson({ ...left, name: "" }) === stableJson({ ...right, name: "" });
}

/** JSON with object keys sorted and undefined or false flags dropped, for comparisons and checksums. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === "function") {
      return `[function ${item.toString()}]`;
    }

    if (item && typeof item === "object" && !Array.isArray(item)) {
      const sorted: Record<string, unknown> = {};

      for (const key of Object.keys(item).sort()) {
        const entry = (item as Record<string, unknown>)[key];

        if (entry !== undefined && entry !== false) {
          sorted[key] = entry;
        }
      }

      return sorted;
    }

    return item;
  });
}

/**
 * Describes a table's search index in the form the dialects' search DDL
 * takes. An integer primary key becomes the FTS5 rowid on SQLite, as it
 * does for `createTables`.
 */
export function searchSpecOf(table: TableState, search: SearchState): SearchSpec {
  const key = table.columns.find((column) => column.primaryKey);
  const integerKey = key !== undefined && ["id", "integer", "bigInteger"].includes(key.kind);

  return {
    table: table.name,
    alias: table.name,
    rowidColumn: integerKey ? key.name : undefined,
    vectorColumn: search.column,
    columns: search.fields.map((item) => ({ column: item.column, weight: item.weight })),
    language: search.language,
  };
}

export function findTable(state: SchemaState, name: string, where: string): TableState {
  const table = state.get(name);

  if (!table) {
    throw new MigrationStateError(
      `${where}: table "${name}" does not exist in the state built by the earlier migrations. Check the table name, or the order of the migration files.`,
    );
  }

  return table;
}

export function findColumn(table: TableState, name: string, where: string): ColumnState {
  const column = table.columns.find((item) => item.name === name);

  if (!column) {
    throw new MigrationStateError(
      `${where}: column "${table.name}.${name}" does not exist in the migration state. Its columns are ${table.columns.map((item) => item.name).join(", ")}.`,
    );
  }

  return column;
}

/**
 * Migration operations: plain objects that a migration file lists, each
 * with a state transition (`applyOperation`) that makemigrations replays in
 * memory. The SQL for each one comes from the dialect's schema editor.
 */
import type { Database } from "../database.js";
import {
  cloneTable,
  findColumn,
  findTable,
  type CheckState,
  type ColumnState,
  type DefaultValue,
  type ForeignKeyState,
  type IndexState,
  type SchemaState,
  type SearchState,
  type TableState,
  type UniqueState,
} from "./state.js";
import { MigrationStateError } from "./errors.js";

/** SQL for every dialect, or per dialect name (`sqlite`, `postgres`, `mysql`). */
export type SqlText = string | string[] | Partial<Record<string, string | string[]>>;

export type Operation =
  | { type: "createTable"; table: TableState }
  | { type: "dropTable"; table: string }
  | { type: "addColumn"; table: string; column: ColumnState; fill?: DefaultValue }
  | { type: "dropColumn"; table: string; column: string }
  | { type: "renameColumn"; table: string; from: string; to: string }
  | { type: "alterColumn"; table: string; column: ColumnState }
  | { type: "addIndex"; table: string; index: IndexState }
  | { type: "dropIndex"; table: string; name: string }
  | { type: "addUnique"; table: string; unique: UniqueState }
  | { type: "dropUnique"; table: string; name: string }
  | { type: "addForeignKey"; table: string; foreignKey: ForeignKeyState }
  | { type: "dropForeignKey"; table: string; name: string }
  | { type: "addCheck"; table: string; check: CheckState }
  | { type: "dropCheck"; table: string; name: string }
  | { type: "addSearch"; table: string; search: SearchState }
  | { type: "removeSearch"; table: string }
  | { type: "runSql"; forward: SqlText; backward?: SqlText }
  | {
      type: "runCode";
      forward: (db: Database) => Promise<void>;
      backward?: (db: Database) => Promise<void>;
    };

export type OperationType = Operation["type"];

/** A migration file's default export. */
export interface MigrationDefinition {
  operations: Operation[];
  /**
   * False when the migration must run outside a transaction even on
   * dialects with transactional DDL, such as PostgreSQL's CREATE INDEX
   * CONCURRENTLY.
   */
  atomic?: boolean;
}

/** Declares a migration; a migration file exports the result as default. */
export function migration(definition: MigrationDefinition): MigrationDefinition {
  return definition;
}

/**
 * Operation constructors for migration files. makemigrations writes the
 * schema operations; `runSql` and `runCode` are written by hand.
 */
export const op = {
  createTable: (table: TableState): Operation => ({ type: "createTable", table }),
  /** Its reverse recreates the table from the state before the drop; the rows are gone. */
  dropTable: (table: string): Operation => ({ type: "dropTable", table }),
  /** `fill` is written into existing rows when the column is not nullable and has no default. */
  addColumn: (table: string, column: ColumnState, fill?: DefaultValue): Operation =>
    fill === undefined
      ? { type: "addColumn", table, column }
      : { type: "addColumn", table, column, fill },
  dropColumn: (table: string, column: string): Operation => ({ type: "dropColumn", table, column }),
  renameColumn: (table: string, from: string, to: string): Operation => ({
    type: "renameColumn",
    table,
    from,
    to,
  }),
  /** Changes type, nullability, default or uniqueness to `column`'s definition. */
  alterColumn: (table: string, column: ColumnState): Operation => ({ type: "alterColumn", table, column }),
  addIndex: (table: string, index: IndexState): Operation => ({ type: "addIndex", table, index }),
  dropIndex: (table: string, name: string): Operation => ({ type: "dropIndex", table, name }),
  addUnique: (table: string, unique: UniqueState): Operation => ({ type: "addUnique", table, unique }),
  dropUnique: (table: string, name: string): Operation => ({ type: "dropUnique", table, name }),
  addForeignKey: (table: string, foreignKey: ForeignKeyState): Operation => ({
    type: "addForeignKey",
    table,
    foreignKey,
  }),
  dropForeignKey: (table: string, name: string): Operation => ({ type: "dropForeignKey", table, name }),
  addCheck: (table: string, check: CheckState): Operation => ({ type: "addCheck", table, check }),
  dropCheck: (table: string, name: string): Operation => ({ type: "dropCheck", table, name }),
  /** Builds the table's full-text search index with the dialect's own DDL (see `SearchState`). */
  addSearch: (table: string, search: SearchState): Operation => ({ type: "addSearch", table, search }),
  /** Its reverse rebuilds the index from the state before the removal. */
  removeSearch: (table: string): Operation => ({ type: "removeSearch", table }),
  /**
   * Runs hand-written SQL. Without `backward` the migration cannot be
   * rolled back past this step.
   *
   * @example
   * op.runSql({
   *   forward: "update posts set slug = lower(title)",
   *   backward: [],
   * })
   */
  runSql: (sql: { forward: SqlText; backward?: SqlText }): Operation => ({
    type: "runSql",
    forward: sql.forward,
    backward: sql.backward,
  }),
  /**
   * Runs a data migration. Model queries inside `forward` join the
   * migration's transaction where the dialect has transactional DDL.
   * Without `backward` the step cannot be rolled back.
   */
  runCode: (
    forward: (db: Database) => Promise<void>,
    backward?: (db: Database) => Promise<void>,
  ): Operation => ({ type: "runCode", forward, backward }),
};

/** A short text for messages and progress output, such as `addColumn posts.slug`. */
export function describeOperation(operation: Operation): string {
  switch (operation.type) {
    case "createTable":
      return `createTable ${operation.table.name}`;
    case "dropTable":
      return `dropTable ${operation.table}`;
    case "addColumn":
    case "alterColumn":
      return `${operation.type} ${operation.table}.${operation.column.name}`;
    case "dropColumn":
      return `dropColumn ${operation.table}.${operation.column}`;
    case "renameColumn":
      return `renameColumn ${operation.table}.${operation.from} to ${operation.to}`;
    case "addIndex":
      return `addIndex ${operation.index.name} on ${operation.table}`;
    case "addUnique":
      return `addUnique ${operation.unique.name} on ${operation.table}`;
    case "addForeignKey":
      return `addForeignKey ${operation.foreignKey.name} on ${operation.table}`;
    case "addCheck":
      return `addCheck ${operation.check.name} on ${operation.table}`;
    case "dropIndex":
    case "dropUnique":
    case "dropForeignKey":
    case "dropCheck":
      return `${operation.type} ${operation.name} on ${operation.table}`;
    case "addSearch":
    case "removeSearch":
      return `${operation.type} ${operation.table}`;
    case "runSql":
    case "runCode":
      return operation.type;
  }
}

/** Applies one operation to an in-memory state, in place. */
export function applyOperation(state: SchemaState, operation: Operation): void {
  const where = describeOperation(operation);

  switch (operation.type) {
    case "createTable":
      if (state.has(operation.table.name)) {
        throw new MigrationStateError(`${where}: table "${operation.table.name}" already exists in the migration state.`);
      }

      state.set(operation.table.name, cloneTable(operation.table));
      return;
    case "dropTable":
      findTable(state, operation.table, where);
      state.delete(operation.table);
      return;
    case "runSql":
    case "runCode":
      return;
    default:
      applyTableOperation(findTable(state, operation.table, where), operation, where);

      if (operation.type === "renameColumn") {
        renameReferences(state, operation.table, operation.from, operation.to);
      }
  }
}

type TableOperation = Exclude<
  Operation,
  { type: "createTable" | "dropTable" | "runSql" | "runCode" }
>;

function applyTableOperation(table: TableState, operation: TableOperation, where: string): void {
  switch (operation.type) {
    case "addColumn":
      if (table.columns.some((item) => item.name === operation.column.name)) {
        throw new MigrationStateError(`${where}: column "${operation.column.name}" already exists.`);
      }

      table.columns.push({ ...operation.column });
      return;
    case "dropColumn":
      findColumn(table, operation.column, where);
      rejectSearchColumn(table, operation.column, where);
      dropColumnFromTable(table, operation.column);
      return;
    case "renameColumn":
      rejectSearchColumn(table, operation.from, where);
      renameColumnInTable(table, operation.from, operation.to, where);
      return;
    case "alterColumn": {
      const index = table.columns.indexOf(findColumn(table, operation.column.name, where));
      table.columns[index] = { ...operation.column };
      return;
    }
    case "addIndex":
      addNamed(table.indexes, operation.index, where);
      return;
    case "addUnique":
      addNamed(table.uniques, operation.unique, where);
      return;
    case "addForeignKey":
      addNamed(table.foreignKeys, operation.foreignKey, where);
      return;
    case "addCheck":
      addNamed(table.checks, operation.check, where);
      return;
    case "dropIndex":
      table.indexes = removeNamed(table.indexes, operation.name, where);
      return;
    case "dropUnique":
      table.uniques = removeNamed(table.uniques, operation.name, where);
      return;
    case "dropForeignKey":
      table.foreignKeys = removeNamed(table.foreignKeys, operation.name, where);
      return;
    case "dropCheck":
      table.checks = removeNamed(table.checks, operation.name, where);
      return;
    case "addSearch":
      addSearch(table, operation.search, where);
      return;
    case "removeSearch":
      if (!table.search) {
        throw new MigrationStateError(`${where}: table "${table.name}" has no search index in the migration state.`);
      }

      delete table.search;
      return;
  }
}

function addSearch(table: TableState, search: SearchState, where: string): void {
  if (table.search) {
    throw new MigrationStateError(
      `${where}: table "${table.name}" already has a search index. Remove it with op.removeSearch first; SQLite and MySQL keep one per table.`,
    );
  }

  for (const item of search.fields) {
    findColumn(table, item.column, where);
  }

  table.search = structuredClone(search);
}

/**
 * Rejects dropping or renaming a column that the search index reads: the
 * FTS5 table and the generated columns name it, so the index must be
 * removed first and added back afterwards (makemigrations writes that).
 */
function rejectSearchColumn(table: TableState, column: string, where: string): void {
  if (table.search?.fields.some((item) => item.column === column)) {
    throw new MigrationStateError(
      `${where}: the search index of "${table.name}" uses column "${column}". Put op.removeSearch("${table.name}") before this operation and op.addSearch after it.`,
    );
  }
}

/** Removes a column and every index, constraint and key that uses it. */
function dropColumnFromTable(table: TableState, column: string): void {
  table.columns = table.columns.filter((item) => item.name !== column);
  table.indexes = table.indexes.filter((item) => !item.columns.includes(column));
  table.uniques = table.uniques.filter((item) => !item.columns.includes(column));
  table.foreignKeys = table.foreignKeys.filter((item) => item.column !== column);
}

function renameColumnInTable(table: TableState, from: string, to: string, where: string): void {
  const column = findColumn(table, from, where);

  if (table.columns.some((item) => item.name === to)) {
    throw new MigrationStateError(`${where}: column "${to}" already exists.`);
  }

  column.name = to;
  const rename = (name: string) => (name === from ? to : name);

  for (const index of table.indexes) {
    index.columns = index.columns.map(rename);
  }

  for (const unique of table.uniques) {
    unique.columns = unique.columns.map(rename);
  }

  for (const key of table.foreignKeys) {
    key.column = rename(key.column);
  }
}

function addNamed<T extends { name: string }>(list: T[], item: T, where: string): void {
  if (list.some((existing) => existing.name === item.name)) {
    throw new MigrationStateError(`${where}: "${item.name}" already exists.`);
  }

  list.push(structuredClone(item));
}

function removeNamed<T extends { name: string }>(list: T[], name: string, where: string): T[] {
  if (!list.some((item) => item.name === name)) {
    throw new MigrationStateError(
      `${where}: "${name}" does not exist in the migration state. Existing names: ${list.map((item) => item.name).join(", ") || "none"}.`,
    );
  }

  return list.filter((item) => item.name !== name);
}

/** Renames references to `from` in other tables' foreign keys after a column rename. */
function renameReferences(state: SchemaState, table: string, from: string, to: string): void {
  for (const other of state.values()) {
    for (const key of other.foreignKeys) {
      if (key.references.table === table && key.references.column === from) {
        key.references.column = to;
      }
    }
  }
}

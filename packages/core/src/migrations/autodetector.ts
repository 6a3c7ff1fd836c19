/**
 * Compares the state that the migration files build with the state of the
 * models and lists the operations that turn one into the other.
 */
import { op, type Operation } from "./operations.js";
import {
  sameColumnDefinition,
  stableJson,
  type ColumnState,
  type SchemaState,
  type TableState,
} from "./state.js";

/** Asks whether `table.from` was renamed to `table.to`; true means rename. */
export type RenameQuestion = (table: string, from: string, to: string) => Promise<boolean>;

export interface AutodetectOptions {
  /** Confirmed renames: `{ table: "posts", from: "body", to: "content" }`. */
  renames?: { table: string; from: string; to: string }[];
  /** Called for each dropped and added column pair of the same type that no rename names. */
  askRename?: RenameQuestion;
}

export interface AutodetectResult {
  operations: Operation[];
  /** Data-loss and failure risks for the person running makemigrations. */
  warnings: string[];
}

interface TableChanges {
  dropForeignKeys: Operation[];
  dropConstraints: Operation[];
  dropColumns: Operation[];
  changeColumns: Operation[];
  addConstraints: Operation[];
  addForeignKeys: Operation[];
}

/** Lists the operations that take `current` to `target`. */
export async function autodetect(
  current: SchemaState,
  target: SchemaState,
  options: AutodetectOptions = {},
): Promise<AutodetectResult> {
  const warnings: string[] = [];
  const created: Operation[] = [];
  const dropped: Operation[] = [];
  const changes: TableChanges[] = [];
  const laterForeignKeys: Operation[] = [];
  const available = new Set([...current.keys()].filter((name) => target.has(name)));

  for (const [name, table] of target) {
    if (!current.has(name)) {
      const waiting = table.foreignKeys.filter(
        (key) => key.references.table !== name && !available.has(key.references.table),
      );
      const { search, ...columnsAndKeys } = table;
      created.push(op.createTable({ ...columnsAndKeys, foreignKeys: table.foreignKeys.filter((key) => !waiting.includes(key)) }));

      if (search) {
        created.push(op.addSearch(name, search));
      }

      laterForeignKeys.push(...waiting.map((key) => op.addForeignKey(name, key)));
      available.add(name);
    }
  }

  for (const name of [...current.keys()].reverse()) {
    if (!target.has(name)) {
      dropped.push(op.dropTable(name));
      warnings.push(`Table ${name} is dropped with its rows. If the model was renamed, edit the migration instead.`);
    }
  }

  for (const [name, table] of current) {
    const wanted = target.get(name);

    if (wanted) {
      changes.push(await diffTable(table, wanted, options, warnings));
    }
  }

  const operations = [
    ...changes.flatMap((item) => item.dropForeignKeys),
    ...changes.flatMap((item) => item.dropConstraints),
    ...changes.flatMap((item) => item.dropColumns),
    ...dropped,
    ...created,
    ...changes.flatMap((item) => item.changeColumns),
    ...changes.flatMap((item) => item.addConstraints),
    ...changes.flatMap((item) => item.addForeignKeys),
    ...laterForeignKeys,
  ];

  return { operations, warnings };
}

async function diffTable(
  current: TableState,
  target: TableState,
  options: AutodetectOptions,
  warnings: string[],
): Promise<TableChanges> {
  const table = current.name;
  const changes: TableChanges = {
    dropForeignKeys: [],
    dropConstraints: [],
    dropColumns: [],
    changeColumns: [],
    addConstraints: [],
    addForeignKeys: [],
  };
  const renames = await findRenames(current, target, options);
  const renamed = (name: string) => renames.get(name) ?? name;
  const currentNames = new Set(current.columns.map((item) => renamed(item.name)));

  for (const [from, to] of renames) {
    changes.changeColumns.push(op.renameColumn(table, from, to));
  }

  for (const column of current.columns) {
    const name = renamed(column.name);
    const wanted = target.columns.find((item) => item.name === name);

    if (!wanted) {
      changes.dropColumns.push(op.dropColumn(table, column.name));
      warnings.push(`Column ${table}.${column.name} is dropped with its data. If it was renamed, run makemigrations again with --rename ${table}.${column.name}=NEW_NAME.`);
    } else if (!sameColumnDefinition(column, wanted)) {
      changes.changeColumns.push(op.alterColumn(table, wanted));
    }
  }

  for (const column of target.columns) {
    if (!currentNames.has(column.name)) {
      changes.changeColumns.push(op.addColumn(table, column));
      warnAboutNewColumn(table, column, warnings);
    }
  }

  // Indexes, constraints and keys are compared after renames, by name and definition.
  const renamedCurrent = renameColumnsIn(current, renames);
  diffNamed(renamedCurrent.indexes, target.indexes, (item) => op.dropIndex(table, item.name), (item) => op.addIndex(table, item), changes);
  diffNamed(renamedCurrent.uniques, target.uniques, (item) => op.dropUnique(table, item.name), (item) => op.addUnique(table, item), changes);
  diffNamed(renamedCurrent.checks, target.checks, (item) => op.dropCheck(table, item.name), (item) => op.addCheck(table, item), changes);

  diffSearch(current, target, changes);

  const keys = { dropConstraints: changes.dropForeignKeys, addConstraints: changes.addForeignKeys };
  diffNamed(renamedCurrent.foreignKeys, target.foreignKeys, (item) => op.dropForeignKey(table, item.name), (item) => op.addForeignKey(table, item), keys);

  return changes;
}

/**
 * Removes and adds the search index when its definition changes, and also
 * around a change to a column it reads: the FTS5 table and the generated
 * columns name those columns, and PostgreSQL rejects altering the type of
 * a column that a generated column uses.
 */
function diffSearch(current: TableState, target: TableState, changes: TableChanges): void {
  const touched = new Set<string>();

  for (const operation of [...changes.dropColumns, ...changes.changeColumns]) {
    if (operation.type === "dropColumn") {
      touched.add(operation.column);
    } else if (operation.type === "renameColumn") {
      touched.add(operation.from);
    } else if (operation.type === "alterColumn") {
      touched.add(operation.column.name);
    }
  }

  const reads = current.search?.fields.some((item) => touched.has(item.column)) ?? false;

  if (stableJson(current.search) === stableJson(target.search) && !reads) {
    return;
  }

  if (current.search) {
    changes.dropConstraints.push(op.removeSearch(current.name));
  }

  if (target.search) {
    changes.addConstraints.push(op.addSearch(target.name, target.search));
  }
}

/** Adds drop and add operations for items whose name or definition differ. */
function diffNamed<T extends { name: string }>(
  current: readonly T[],
  target: readonly T[],
  drop: (item: T) => Operation,
  add: (item: T) => Operation,
  changes: { dropConstraints: Operation[]; addConstraints: Operation[] },
): void {
  for (const item of current) {
    const wanted = target.find((other) => other.name === item.name);

    if (!wanted || stableJson(wanted) !== stableJson(item)) {
      changes.dropConstraints.push(drop(item));
    }
  }

  for (const item of target) {
    const existing = current.find((other) => other.name === item.name);

    if (!existing || stableJson(existing) !== stableJson(item)) {
      changes.addConstraints.push(add(item));
    }
  }
}

/** Pairs dropped and added columns that the options or the user confirm as renames. */
async function findRenames(
  current: TableState,
  target: TableState,
  options: AutodetectOptions,
): Promise<Map<string, string>> {
  const renames = new Map<string, string>();
  const targetNames = new Set(target.columns.map((item) => item.name));
  const currentNames = new Set(current.columns.map((item) => item.name));
  const removed = current.columns.filter((item) => !targetNames.has(item.name));
  const added = target.columns.filter((item) => !currentNames.has(item.name));
  const taken = new Set<string>();

  for (const rename of options.renames ?? []) {
    if (rename.table === current.name && removed.some((item) => item.name === rename.from) && added.some((item) => item.name === rename.to)) {
      renames.set(rename.from, rename.to);
      taken.add(rename.to);
    }
  }

  if (!options.askRename) {
    return renames;
  }

  for (const column of removed) {
    if (renames.has(column.name)) {
      continue;
    }

    for (const candidate of added) {
      if (taken.has(candidate.name) || !sameColumnDefinition(column, candidate)) {
        continue;
      }

      if (await options.askRename(current.name, column.name, candidate.name)) {
        renames.set(column.name, candidate.name);
        taken.add(candidate.name);
        break;
      }
    }
  }

  return renames;
}

function renameColumnsIn(table: TableState, renames: Map<string, string>): TableState {
  const rename = (name: string) => renames.get(name) ?? name;

  return {
    ...table,
    indexes: table.indexes.map((item) => ({ ...item, columns: item.columns.map(rename) })),
    uniques: table.uniques.map((item) => ({ ...item, columns: item.columns.map(rename) })),
    foreignKeys: table.foreignKeys.map((item) => ({ ...item, column: rename(item.column) })),
  };
}

function warnAboutNewColumn(table: string, column: ColumnState, warnings: string[]): void {
  if (!column.nullable && column.default === undefined && !column.primaryKey) {
    warnings.push(
      `Column ${table}.${column.name} is not nullable and has no literal default, so adding it fails on a table with rows. Pass a value for existing rows as the third argument of op.addColumn (fill), or make the field nullable.`,
    );
  }
}

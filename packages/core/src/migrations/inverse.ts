/** The operations that undo one operation, given the states around it. */
import { MigrationError } from "./errors.js";
import { describeOperation, op, type Operation } from "./operations.js";
import { findColumn, findTable, type ColumnState, type DefaultValue, type SchemaState } from "./state.js";

/**
 * Returns the operations that undo `operation`, given the state `before` it. A dropped
 * table or column comes back from the recorded state, without its rows.
 */
export function inverseOperations(operation: Operation, before: SchemaState): Operation[] {
  const where = describeOperation(operation);

  switch (operation.type) {
    case "createTable":
      return [op.dropTable(operation.table.name)];
    case "dropTable":
      return [op.createTable(findTable(before, operation.table, where))];
    case "addColumn":
      return [op.dropColumn(operation.table, operation.column.name)];
    case "dropColumn":
      return restoreColumn(operation.table, operation.column, before, where);
    case "renameColumn":
      return [op.renameColumn(operation.table, operation.to, operation.from)];
    case "alterColumn":
      return [op.alterColumn(operation.table, findColumn(findTable(before, operation.table, where), operation.column.name, where))];
    case "addIndex":
      return [op.dropIndex(operation.table, operation.index.name)];
    case "addUnique":
      return [op.dropUnique(operation.table, operation.unique.name)];
    case "addForeignKey":
      return [op.dropForeignKey(operation.table, operation.foreignKey.name)];
    case "addCheck":
      return [op.dropCheck(operation.table, operation.check.name)];
    case "dropIndex":
      return [op.addIndex(operation.table, named(findTable(before, operation.table, where).indexes, operation.name, where))];
    case "dropUnique":
      return [op.addUnique(operation.table, named(findTable(before, operation.table, where).uniques, operation.name, where))];
    case "dropForeignKey":
      return [op.addForeignKey(operation.table, named(findTable(before, operation.table, where).foreignKeys, operation.name, where))];
    case "dropCheck":
      return [op.addCheck(operation.table, named(findTable(before, operation.table, where).checks, operation.name, where))];
    case "addSearch":
      return [op.removeSearch(operation.table)];
    case "removeSearch":
      return [op.addSearch(operation.table, recordedSearch(before, operation.table, where))];
    case "runSql":
      if (operation.backward === undefined) {
        throw irreversible(where);
      }

      return [{ type: "runSql", forward: operation.backward, backward: operation.forward }];
    case "runCode":
      if (!operation.backward) {
        throw irreversible(where);
      }

      return [{ type: "runCode", forward: operation.backward, backward: operation.forward }];
  }
}

/** Adds a dropped column back, with the indexes, constraints and keys that used it. */
function restoreColumn(table: string, name: string, before: SchemaState, where: string): Operation[] {
  const old = findTable(before, table, where);
  const column = findColumn(old, name, where);
  const operations: Operation[] = [op.addColumn(table, column, zeroFill(column))];

  for (const index of old.indexes.filter((item) => item.columns.includes(name))) {
    operations.push(op.addIndex(table, index));
  }

  for (const unique of old.uniques.filter((item) => item.columns.includes(name))) {
    operations.push(op.addUnique(table, unique));
  }

  for (const key of old.foreignKeys.filter((item) => item.column === name)) {
    operations.push(op.addForeignKey(table, key));
  }

  return operations;
}

/**
 * A value for existing rows when a NOT NULL column without a default comes
 * back. The dropped data is gone, so the rows get the type's zero value.
 */
function zeroFill(column: ColumnState): DefaultValue | undefined {
  if (column.nullable || column.default !== undefined || column.unique) {
    return undefined;
  }

  switch (column.kind) {
    case "integer":
    case "bigInteger":
    case "float":
    case "decimal":
    case "version":
      return 0;
    case "boolean":
      return false;
    case "string":
    case "text":
      return "";
    case "enum":
      return column.choices?.[0];
    default:
      return undefined;
  }
}

function recordedSearch(before: SchemaState, table: string, where: string) {
  const search = findTable(before, table, where).search;

  if (!search) {
    throw new MigrationError(`${where}: the recorded state has no search index on "${table}", so the removal cannot be reversed.`, {
      code: "state",
      operation: where,
    });
  }

  return search;
}

function named<T extends { name: string }>(list: readonly T[], name: string, where: string): T {
  const found = list.find((item) => item.name === name);

  if (!found) {
    throw new MigrationError(`${where}: "${name}" is not in the recorded state, so the drop cannot be reversed.`, {
      code: "state",
      operation: where,
    });
  }

  return found;
}

function irreversible(where: string): MigrationError {
  return new MigrationError(
    `${where} has no backward step, so the migration cannot be rolled back. Give it one (op.runSql({ forward, backward }) or op.runCode(forward, backward)), or pass an empty list when nothing needs undoing.`,
    { code: "irreversible", operation: where },
  );
}

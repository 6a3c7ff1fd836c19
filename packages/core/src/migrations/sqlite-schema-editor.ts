/**
 * SQLite DDL. ALTER TABLE in SQLite can add, rename and drop plain columns
 * only, so every other change rebuilds the table: create the new table,
 * copy the rows, drop the old table, rename the new one and recreate its
 * indexes (the procedure in https://www.sqlite.org/lang_altertable.html).
 * The executor runs migrations with foreign_keys off and checks
 * `pragma foreign_key_check` after each one, as that procedure requires.
 */
import { findColumn, type ColumnState, type DefaultValue, type TableState } from "./state.js";
import { SchemaEditor } from "./schema-editor.js";

/** Name of the temporary table during a rebuild. */
function rebuildName(table: string): string {
  return `__chakra_new_${table}`;
}

export class SqliteSchemaEditor extends SchemaEditor {
  protected override alterTable(...args: Parameters<SchemaEditor["alterTable"]>): string[] {
    const [operation, before, after] = args;

    switch (operation.type) {
      case "addColumn":
        if (canAddInPlace(operation.column, operation.fill)) {
          return super.alterTable(...args);
        }

        return this.rebuild(before, after, { [operation.column.name]: operation.fill });
      case "dropColumn": {
        const column = findColumn(before, operation.column, `dropColumn ${before.name}.${operation.column}`);

        if (canDropInPlace(before, column)) {
          return super.alterTable(...args);
        }

        return this.rebuild(before, after);
      }
      case "renameColumn":
      case "addIndex":
      case "dropIndex":
      case "addSearch":
      case "removeSearch":
        return super.alterTable(...args);
      default:
        return this.rebuild(before, after);
    }
  }

  /**
   * Rebuilds `before` into `after`, copying the columns both have. `fills`
   * gives a literal for new columns that existing rows need.
   */
  rebuild(before: TableState, after: TableState, fills: Record<string, DefaultValue | undefined> = {}): string[] {
    const temporary = rebuildName(after.name);
    const [create, ...indexes] = this.createTable(after, temporary);
    const targets: string[] = [];
    const sources: string[] = [];

    for (const column of after.columns) {
      const kept = before.columns.some((item) => item.name === column.name);
      const fill = fills[column.name];

      if (kept) {
        targets.push(this.q(column.name));
        sources.push(this.q(column.name));
      } else if (fill !== undefined) {
        targets.push(this.q(column.name));
        sources.push(this.literal(fill, column));
      }
    }

    // The search triggers belong to the old table and go with it, so the
    // FTS5 index is dropped first and rebuilt from the copied rows.
    return [
      ...this.searchIndexSql(before, "drop"),
      create as string,
      `insert into ${this.q(temporary)} (${targets.join(", ")}) select ${sources.join(", ")} from ${this.q(before.name)}`,
      `drop table ${this.q(before.name)}`,
      `alter table ${this.q(temporary)} rename to ${this.q(after.name)}`,
      ...indexes,
      ...this.searchIndexSql(after, "create"),
    ];
  }
}

/** SQLite's ADD COLUMN takes no UNIQUE or PRIMARY KEY, and NOT NULL only with a default. */
function canAddInPlace(column: ColumnState, fill: DefaultValue | undefined): boolean {
  if (column.primaryKey || column.unique || column.kind === "enum") {
    return false;
  }

  return Boolean(column.nullable) || (column.default !== undefined && fill === undefined);
}

/** SQLite's DROP COLUMN fails on a column that a key, index or constraint uses. */
function canDropInPlace(table: TableState, column: ColumnState): boolean {
  const used =
    column.primaryKey ||
    column.unique ||
    column.kind === "enum" ||
    table.indexes.some((item) => item.columns.includes(column.name)) ||
    table.uniques.some((item) => item.columns.includes(column.name)) ||
    table.foreignKeys.some((item) => item.column === column.name) ||
    table.checks.length > 0;

  return !used;
}

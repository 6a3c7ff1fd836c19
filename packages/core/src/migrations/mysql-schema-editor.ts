/**
 * MySQL and MariaDB DDL. MODIFY COLUMN restates the whole definition, and
 * unique constraints and foreign keys are dropped with their own clauses.
 * MySQL commits DDL implicitly, so a failed migration can stop half-done.
 */
import { findColumn, columnField, type ColumnState, type TableState } from "./state.js";
import { SchemaEditor, checkName, uniqueName } from "./schema-editor.js";
import { MigrationError } from "./errors.js";

export class MysqlSchemaEditor extends SchemaEditor {
  protected override alterColumn(table: TableState, from: ColumnState, to: ColumnState): string[] {
    if (Boolean(from.primaryKey) !== Boolean(to.primaryKey) || from.kind === "id" || to.kind === "id") {
      throw new MigrationError(
        `alterColumn ${table.name}.${to.name}: changing a primary key column is not supported. Write the change as runSql steps.`,
        { code: "operation", operation: `alterColumn ${table.name}.${to.name}` },
      );
    }

    const name = this.q(table.name);
    const statements: string[] = [];
    const fromCheck = this.compiler.columnCheck(columnField(from));
    const toCheck = this.compiler.columnCheck(columnField(to));

    if (fromCheck && fromCheck !== toCheck) {
      statements.push(`alter table ${name} drop constraint ${this.q(checkName(table.name, from.name))}`);
    }

    if (from.unique && !to.unique) {
      statements.push(`alter table ${name} drop index ${this.q(uniqueName(table.name, from.name))}`);
    }

    statements.push(`alter table ${name} modify column ${this.columnDefinition(to)}`);

    if (to.unique && !from.unique) {
      statements.push(`alter table ${name} add constraint ${this.q(uniqueName(table.name, to.name))} unique (${this.q(to.name)})`);
    }

    if (toCheck && fromCheck !== toCheck) {
      statements.push(`alter table ${name} add constraint ${this.q(checkName(table.name, to.name))} check (${toCheck})`);
    }

    return statements;
  }

  protected override alterTable(...args: Parameters<SchemaEditor["alterTable"]>): string[] {
    const [operation, before] = args;

    if (operation.type === "dropColumn") {
      // A CHECK that names the column would make DROP COLUMN fail.
      const column = findColumn(before, operation.column, `dropColumn ${before.name}.${operation.column}`);
      const checks = this.compiler.columnCheck(columnField(column))
        ? [`alter table ${this.q(before.name)} drop constraint ${this.q(checkName(before.name, column.name))}`]
        : [];

      return [...checks, ...super.alterTable(...args)];
    }

    return super.alterTable(...args);
  }

  protected override dropIndex(table: string, name: string): string {
    return `drop index ${this.q(name)} on ${this.q(table)}`;
  }

  protected override dropConstraint(
    table: string,
    kind: "dropUnique" | "dropForeignKey" | "dropCheck",
    name: string,
  ): string {
    if (kind === "dropUnique") {
      return `alter table ${this.q(table)} drop index ${this.q(name)}`;
    }

    if (kind === "dropForeignKey") {
      return `alter table ${this.q(table)} drop foreign key ${this.q(name)}`;
    }

    return super.dropConstraint(table, kind, name);
  }
}

/**
 * Turns migration operations into DDL for one dialect. The base class
 * writes PostgreSQL-flavoured standard SQL; the MySQL and SQLite editors
 * override what differs.
 *
 * NOTE: DDL cannot take bound parameters, so column defaults are written
 * as SQL literals by `sqlLiteral`. That is the one place where migration
 * code puts a value into SQL text, and it accepts only strings, finite
 * numbers and booleans from migration files, never user input at run time.
 */
import type { SqlCompiler } from "../compiler.js";
import type { Dialect } from "../dialect.js";
import { MigrationError } from "./errors.js";
import { applyOperation, describeOperation, type Operation, type SqlText } from "./operations.js";
import {
  cloneState,
  columnField,
  findColumn,
  findTable,
  searchSpecOf,
  type CheckState,
  type ColumnState,
  type DefaultValue,
  type ForeignKeyState,
  type IndexState,
  type SchemaState,
  type TableState,
} from "./state.js";

export class SchemaEditor {
  readonly compiler: SqlCompiler;

  constructor(readonly dialect: Dialect) {
    this.compiler = dialect.compiler;
  }

  q(name: string): string {
    return this.compiler.quote(name);
  }

  /**
   * The statements that apply `operation`, given the states before and
   * after it. `runCode` has none: the executor calls its function.
   */
  forward(operation: Operation, before: SchemaState, after: SchemaState): string[] {
    const where = describeOperation(operation);

    switch (operation.type) {
      case "createTable":
        return [...this.createTable(operation.table), ...this.searchIndexSql(operation.table, "create")];
      case "dropTable":
        return [
          ...this.searchIndexSql(findTable(before, operation.table, where), "drop"),
          `drop table ${this.q(operation.table)}`,
        ];
      case "runSql":
        return this.pickSql(operation.forward);
      case "runCode":
        return [];
      default: {
        const old = findTable(before, operation.table, where);
        const next = findTable(after, operation.table, where);

        return this.alterTable(operation, old, next);
      }
    }
  }

  protected alterTable(
    operation: Exclude<Operation, { type: "createTable" | "dropTable" | "runSql" | "runCode" }>,
    before: TableState,
    after: TableState,
  ): string[] {
    const table = this.q(after.name);
    const where = describeOperation(operation);

    switch (operation.type) {
      case "addColumn":
        return this.addColumn(after, operation.column, operation.fill);
      case "dropColumn":
        return [`alter table ${table} drop column ${this.q(operation.column)}`];
      case "renameColumn":
        return [`alter table ${table} rename column ${this.q(operation.from)} to ${this.q(operation.to)}`];
      case "alterColumn":
        return this.alterColumn(after, findColumn(before, operation.column.name, where), operation.column);
      case "addIndex":
        return [this.createIndex(after.name, operation.index)];
      case "dropIndex":
        return [this.dropIndex(after.name, operation.name)];
      case "addUnique":
        return [`alter table ${table} add constraint ${this.q(operation.unique.name)} unique (${this.columnList(operation.unique.columns)})`];
      case "addForeignKey":
        return [`alter table ${table} add ${this.foreignKeyClause(operation.foreignKey)}`];
      case "addCheck":
        return [`alter table ${table} add ${this.checkClause(operation.check)}`];
      case "dropUnique":
      case "dropForeignKey":
      case "dropCheck":
        return [this.dropConstraint(after.name, operation.type, operation.name)];
      case "addSearch":
        return this.searchIndexSql(after, "create");
      case "removeSearch":
        return this.searchIndexSql(before, "drop");
    }
  }

  /**
   * The statements that build or remove a table's search index. They come
   * from the dialect's `createSearchIndex` and `dropSearchIndex`, the code
   * that `createTables` runs too, so both paths build the same index.
   */
  searchIndexSql(table: TableState, action: "create" | "drop"): string[] {
    if (!table.search) {
      return [];
    }

    const hook = action === "create" ? this.dialect.createSearchIndex : this.dialect.dropSearchIndex;

    if (!hook) {
      throw new MigrationError(
        `The ${this.dialect.name} dialect does not implement ${action === "create" ? "createSearchIndex" : "dropSearchIndex"}, so migrations cannot ${action} the search index of "${table.name}".`,
        { code: "operation", dialect: this.dialect.name },
      );
    }

    return hook.call(this.dialect, searchSpecOf(table, table.search)).map((query) => {
      // DDL takes no bound parameters, so every dialect writes these statements in full.
      if (query.params.length > 0) {
        throw new MigrationError(`${this.dialect.name} returned search index DDL with bound parameters: ${query.sql}`, {
          code: "operation",
          dialect: this.dialect.name,
        });
      }

      return query.sql;
    });
  }

  createTable(table: TableState, name = table.name): string[] {
    const lines = table.columns.map((column) => this.columnDefinition(column));

    for (const column of table.columns) {
      lines.push(...this.columnConstraints(table.name, column));
    }

    for (const unique of table.uniques) {
      lines.push(`constraint ${this.q(unique.name)} unique (${this.columnList(unique.columns)})`);
    }

    for (const key of table.foreignKeys) {
      lines.push(this.foreignKeyClause(key));
    }

    for (const check of table.checks) {
      lines.push(this.checkClause(check));
    }

    const create = `create table ${this.q(name)} (${lines.join(", ")})${this.compiler.createTableSuffix()}`;

    return [create, ...table.indexes.map((index) => this.createIndex(table.name, index))];
  }

  /** The type, nullability and default of a column, without its unique or check constraint. */
  columnDefinition(column: ColumnState): string {
    const field = columnField(column);
    const name = this.q(column.name);

    if (column.primaryKey && column.kind === "id") {
      return `${name} ${this.compiler.autoIncrementPrimaryKey(field)}`;
    }

    let definition = `${name} ${this.compiler.columnType(field)}`;

    if (column.primaryKey) {
      definition += " primary key";
    } else if (!column.nullable) {
      definition += " not null";
    }

    if (column.default !== undefined) {
      definition += ` default ${this.literal(column.default, column)}`;
    }

    return definition;
  }

  /** Table-level constraints that come from a column: unique and the enum check. */
  columnConstraints(table: string, column: ColumnState): string[] {
    const constraints: string[] = [];

    if (column.unique && !column.primaryKey) {
      constraints.push(`constraint ${this.q(uniqueName(table, column.name))} unique (${this.q(column.name)})`);
    }

    const check = this.compiler.columnCheck(columnField(column));

    if (check) {
      constraints.push(`constraint ${this.q(checkName(table, column.name))} check (${check})`);
    }

    return constraints;
  }

  protected addColumn(table: TableState, column: ColumnState, fill: DefaultValue | undefined): string[] {
    const name = this.q(table.name);
    const statements: string[] = [];

    if (fill !== undefined && column.default === undefined) {
      const filled = { ...column, default: fill };
      statements.push(`alter table ${name} add column ${this.columnDefinition(filled)}`);
      statements.push(`alter table ${name} alter column ${this.q(column.name)} drop default`);
    } else {
      statements.push(`alter table ${name} add column ${this.columnDefinition(column)}`);
    }

    for (const constraint of this.columnConstraints(table.name, column)) {
      statements.push(`alter table ${name} add ${constraint}`);
    }

    return statements;
  }

  protected alterColumn(table: TableState, from: ColumnState, to: ColumnState): string[] {
    rejectPrimaryKeyChange(table, from, to);
    const name = this.q(table.name);
    const column = this.q(to.name);
    const alter = `alter table ${name} alter column ${column}`;
    const statements: string[] = [];
    const fromType = this.compiler.columnType(columnField(from));
    const toType = this.compiler.columnType(columnField(to));
    const fromCheck = this.compiler.columnCheck(columnField(from));
    const toCheck = this.compiler.columnCheck(columnField(to));

    if (fromCheck && fromCheck !== toCheck) {
      statements.push(`alter table ${name} drop constraint ${this.q(checkName(table.name, from.name))}`);
    }

    if (from.unique && !to.unique) {
      statements.push(this.dropConstraint(table.name, "dropUnique", uniqueName(table.name, from.name)));
    }

    if (from.default !== undefined && (to.default === undefined || fromType !== toType)) {
      statements.push(`${alter} drop default`);
    }

    if (fromType !== toType) {
      statements.push(`${alter} type ${toType} using ${column}::${toType}`);
    }

    if (to.default !== undefined && (to.default !== from.default || fromType !== toType)) {
      statements.push(`${alter} set default ${this.literal(to.default, to)}`);
    }

    if (Boolean(from.nullable) !== Boolean(to.nullable)) {
      statements.push(`${alter} ${to.nullable ? "drop" : "set"} not null`);
    }

    if (to.unique && !from.unique) {
      statements.push(`alter table ${name} add constraint ${this.q(uniqueName(table.name, to.name))} unique (${column})`);
    }

    if (toCheck && fromCheck !== toCheck) {
      statements.push(`alter table ${name} add constraint ${this.q(checkName(table.name, to.name))} check (${toCheck})`);
    }

    return statements;
  }

  createIndex(table: string, index: IndexState): string {
    return `create ${index.unique ? "unique " : ""}index ${this.q(index.name)} on ${this.q(table)} (${this.columnList(index.columns)})`;
  }

  protected dropIndex(_table: string, name: string): string {
    return `drop index ${this.q(name)}`;
  }

  protected dropConstraint(table: string, _kind: "dropUnique" | "dropForeignKey" | "dropCheck", name: string): string {
    return `alter table ${this.q(table)} drop constraint ${this.q(name)}`;
  }

  foreignKeyClause(key: ForeignKeyState): string {
    return `constraint ${this.q(key.name)} foreign key (${this.q(key.column)}) references ${this.q(key.references.table)} (${this.q(key.references.column)}) on delete ${key.onDelete}`;
  }

  checkClause(check: CheckState): string {
    const expression = check.sql.replace(/\{\{([^}]+)\}\}/g, (_match, name: string) => this.q(name));

    return `constraint ${this.q(check.name)} check (${expression})`;
  }

  columnList(columns: readonly string[]): string {
    return columns.map((item) => this.q(item)).join(", ");
  }

  literal(value: DefaultValue, column: ColumnState): string {
    return sqlLiteral(value, column, this.dialect.name);
  }

  pickSql(text: SqlText | undefined): string[] {
    if (text === undefined) {
      return [];
    }

    if (typeof text === "string") {
      return [text];
    }

    if (Array.isArray(text)) {
      return text;
    }

    const chosen = (text as Record<string, string | string[] | undefined>)[this.dialect.name];

    if (chosen === undefined) {
      throw new MigrationError(
        `runSql has no SQL for the ${this.dialect.name} dialect; it names ${Object.keys(text).join(", ")}. Add a "${this.dialect.name}" entry, or an empty list to skip the step on ${this.dialect.name}.`,
        { code: "operation", dialect: this.dialect.name, operation: "runSql" },
      );
    }

    return typeof chosen === "string" ? [chosen] : chosen;
  }
}

/** The name Chakra gives a single-column unique constraint (PostgreSQL's own default for short names). */
export function uniqueName(table: string, column: string): string {
  return `${table}_${column}_key`;
}

/** The name Chakra gives an enum column's CHECK constraint. */
export function checkName(table: string, column: string): string {
  return `${table}_${column}_check`;
}

/** Writes a default as an SQL literal; see the note at the top of this file. */
export function sqlLiteral(value: DefaultValue, column: ColumnState, dialect: string): string {
  if (typeof value === "boolean") {
    return dialect === "postgres" ? String(value) : value ? "1" : "0";
  }

  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new MigrationError(`Column "${column.name}": the default ${value} is not a finite number.`, {
        code: "operation",
      });
    }

    return String(value);
  }

  if (typeof value !== "string") {
    throw new MigrationError(
      `Column "${column.name}": a default must be a string, a number or a boolean, got ${typeof value}.`,
      { code: "operation" },
    );
  }

  // MySQL reads a backslash as an escape in string literals unless
  // NO_BACKSLASH_ESCAPES is set; PostgreSQL and SQLite do not.
  const escaped = dialect === "mysql" ? value.replace(/\\/g, "\\\\") : value;

  return `'${escaped.replace(/'/g, "''")}'`;
}

function rejectPrimaryKeyChange(table: TableState, from: ColumnState, to: ColumnState): void {
  if (Boolean(from.primaryKey) !== Boolean(to.primaryKey) || from.kind === "id" || to.kind === "id") {
    throw new MigrationError(
      `alterColumn ${table.name}.${to.name}: changing a primary key column is not supported. Write the change as runSql steps.`,
      { code: "operation", operation: `alterColumn ${table.name}.${to.name}` },
    );
  }
}

/** Replays `operations` from `state` and returns each one's forward SQL. */
export function operationSql(editor: SchemaEditor, state: SchemaState, operations: readonly Operation[]): string[][] {
  let current = cloneState(state);

  return operations.map((operation) => {
    const next = cloneState(current);
    applyOperation(next, operation);
    const statements = editor.forward(operation, current, next);
    current = next;

    return statements;
  });
}

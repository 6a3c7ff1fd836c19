/**
 * A minimal dialect for core's unit tests. Its compiler is the base
 * SqlCompiler with plain type names, and its driver records each statement
 * and returns canned results instead of talking to a server. Tests use it
 * to assert the SQL text and parameters core produces, not database
 * behaviour (the conformance suite under tests/ runs real servers).
 */
import {
  Database,
  SqlCompiler,
  type CompiledQuery,
  type Dialect,
  type Driver,
  type DriverConnection,
  type ExecuteOptions,
  type Field,
  type QueryEvent,
  type QueryResult,
} from "../../src/index.js";

const COLUMN_TYPES: Record<string, string> = {
  integer: "integer",
  bigInteger: "bigint",
  float: "double precision",
  string: "varchar",
  text: "text",
  boolean: "boolean",
  dateTime: "timestamp",
  date: "date",
  time: "time",
  json: "json",
  uuid: "uuid",
  binary: "blob",
  enum: "varchar",
  version: "integer",
};

/** The base compiler with plain column types; it converts only Date values. */
export class TestCompiler extends SqlCompiler {
  readonly dialectName = "test";

  toDriver(item: unknown, _field: Field | undefined): unknown {
    return item instanceof Date ? item.toISOString() : item;
  }

  fromDriver(_field: Field): ((raw: unknown) => unknown) | null {
    return null;
  }

  columnType(field: Field): string {
    if (field.kind === "decimal") {
      return `decimal(${String(field.options.precision)}, ${String(field.options.scale)})`;
    }

    if (field.kind === "string" || field.kind === "enum") {
      return `varchar(${String(field.options.maxLength)})`;
    }

    if (field.kind === "id" || field.kind === "foreignKey" || field.kind === "oneToOne") {
      return "integer";
    }

    return COLUMN_TYPES[field.kind] ?? field.kind;
  }

  autoIncrementPrimaryKey(_field: Field): string {
    return "integer primary key";
  }
}

/** Returns the canned result for one statement, or undefined for the default. */
export type Responder = (query: CompiledQuery, options: ExecuteOptions) => QueryResult | undefined;

/** A driver whose one connection records statements instead of running them. */
export class RecordingDriver implements Driver {
  readonly queries: CompiledQuery[] = [];
  responder: Responder | undefined;

  readonly #connection: DriverConnection = {
    execute: async (query, options) => {
      this.queries.push(query);

      return this.responder?.(query, options) ?? emptyResult(query, options);
    },
    stream: (query) => {
      this.queries.push(query);

      return (async function* () {})();
    },
  };

  async acquire(): Promise<DriverConnection> {
    return this.#connection;
  }

  release(_connection: DriverConnection, _discard?: boolean): void {}

  async close(): Promise<void> {}
}

/**
 * The result a statement gets when no responder answers: no rows, except
 * that `select count(*)` returns 0 and an INSERT ... RETURNING returns one
 * generated key per row, counting up from 1.
 */
function emptyResult(query: CompiledQuery, _options: ExecuteOptions): QueryResult {
  if (query.sql.startsWith("select count(*)")) {
    return { rows: [[0]], rowCount: 1 };
  }

  const insert = /^insert into .* values (.*) returning /.exec(query.sql);

  if (insert) {
    const rowCount = insert[1]!.split("), (").length;

    return { rows: Array.from({ length: rowCount }, (_, index) => [index + 1]), rowCount };
  }

  return { rows: [], rowCount: 0 };
}

export interface TestDialectOptions {
  maxParameters?: number;
  returning?: boolean;
}

/** Builds the test dialect around a fresh recording driver. */
export function testDialect(options: TestDialectOptions = {}): Dialect & { driver: RecordingDriver } {
  return {
    name: "test",
    compiler: new TestCompiler(),
    capabilities: {
      returning: options.returning ?? true,
      transactionalDdl: true,
      selectForUpdate: true,
      statementTimeout: false,
    },
    maxParameters: options.maxParameters ?? 1000,
    driver: new RecordingDriver(),
    translateError: (error) => (error instanceof Error ? error : new Error(String(error))),
    beginStatements: () => ["begin"],
  };
}

/** A database on the test dialect plus the statements its `query` events report. */
export interface TestDatabase {
  db: Database;
  driver: RecordingDriver;
  /** SQL of every statement run, in order, transaction control included. */
  statements: string[];
  /** Every statement the driver received, with its parameters. */
  queries: CompiledQuery[];
}

/**
 * Creates a database on the test dialect and records its `query` events.
 * Parameter values are logged so tests can read them from the driver.
 */
export function createTestDatabase(options: TestDialectOptions & { name?: string } = {}): TestDatabase {
  const dialect = testDialect(options);
  const db = new Database({ dialect, name: options.name, logParameters: true });
  const statements: string[] = [];
  db.on("query", (event: QueryEvent) => statements.push(event.sql));

  return { db, driver: dialect.driver, statements, queries: dialect.driver.queries };
}

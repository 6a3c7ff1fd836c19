import BetterSqlite3 from "better-sqlite3";
import {
  rowBatches,
  rowObjects,
  type CompiledQuery,
  type Driver,
  type DriverConnection,
  type ExecuteOptions,
  type QueryResult,
} from "@chakra-orm/core";

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

export interface SqliteOptions {
  /** Path of the database file, or ":memory:" (the default). */
  filename?: string;
  /** Open the file read-only. */
  readonly?: boolean;
  /** How long a statement waits for another connection's lock, in ms. Default 5000. */
  busyTimeout?: number;
  /** Write-ahead logging for files, so readers never block the writer. Default true. */
  wal?: boolean;
  /** How many prepared statements to keep. Default 500. */
  statementCacheSize?: number;
}

const regexCache = new Map<string, RegExp>();

function cachedRegex(pattern: string, insensitive: boolean): RegExp {
  const key = `${insensitive ? "i" : "-"}${pattern}`;
  let found = regexCache.get(key);

  if (!found) {
    found = new RegExp(pattern, insensitive ? "iu" : "u");

    if (regexCache.size > 200) {
      regexCache.clear();
    }

    regexCache.set(key, found);
  }

  return found;
}

/** Opens a better-sqlite3 handle with Chakra's pragmas and functions. */
export function openSqlite(filename: string, options: SqliteOptions, readonly = false): BetterSqlite3.Database {
  const handle = new BetterSqlite3(filename, { readonly: readonly || options.readonly === true });
  handle.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeout ?? 5000))}`);
  handle.pragma("foreign_keys = ON");
  // LIKE must be case-sensitive so `contains` is; the i-lookups fold case
  // with chakra_lower, which handles all of Unicode.
  handle.pragma("case_sensitive_like = ON");

  if (filename !== ":memory:" && filename !== "" && options.wal !== false && !readonly && options.readonly !== true) {
    handle.pragma("journal_mode = WAL");
    handle.pragma("synchronous = NORMAL");
  }

  handle.function("chakra_lower", { deterministic: true }, (text: unknown) =>
    text === null ? null : String(text).toLowerCase(),
  );
  handle.function("chakra_regexp", { deterministic: true }, (pattern: unknown, text: unknown, insensitive: unknown) =>
    text === null || pattern === null ? null : cachedRegex(String(pattern), insensitive === 1 || insensitive === 1n).test(String(text)) ? 1 : 0,
  );

  return handle;
}

/** The single connection of an SQLite database, with a statement cache. */
export class SqliteConnection implements DriverConnection {
  readonly #statements = new Map<string, Statement>();

  constructor(
    readonly handle: BetterSqlite3.Database,
    readonly cacheSize: number,
  ) {}

  prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);

    if (!statement) {
      statement = this.handle.prepare(sql);

      if (this.#statements.size >= this.cacheSize) {
        const oldest = this.#statements.keys().next().value as string;
        this.#statements.delete(oldest);
      }

      this.#statements.set(sql, statement);
    }

    return statement;
  }

  async execute(query: CompiledQuery, options: ExecuteOptions): Promise<QueryResult> {
    return runStatement(this.prepare(query.sql), query, options);
  }

  async *stream(query: CompiledQuery, options: ExecuteOptions & { batchSize: number }): AsyncIterable<unknown[][]> {
    // NOTE: inside a transaction or on an in-memory database there is no
    // second connection to read from, so the rows are read at once.
    const { rows } = runStatement(this.prepare(query.sql), query, options);
    yield* rowBatches(rows as unknown[][], options.batchSize);
  }
}

/** Per statement: bit 1 is raw (array) rows, bit 2 is safe (bigint) integers. */
const statementModes = new WeakMap<Statement, number>();

/**
 * Sets a statement's row mode and integer mode only when they change;
 * better-sqlite3 re-checks the statement on each toggle.
 */
function configure(statement: Statement, raw: boolean, bigints: boolean): void {
  const wanted = (raw ? 1 : 0) | (bigints ? 2 : 0);
  const current = statementModes.get(statement);

  if (current === wanted) {
    return;
  }

  if (statement.reader && (current === undefined || (current & 1) !== (wanted & 1))) {
    statement.raw(raw);
  }

  if (current === undefined || (current & 2) !== (wanted & 2)) {
    statement.safeIntegers(bigints);
  }

  statementModes.set(statement, wanted);
}

/** Result column names per statement, read once. */
const columnNames = new WeakMap<Statement, string[]>();

function namesOf(statement: Statement): string[] {
  let names = columnNames.get(statement);

  if (!names) {
    names = statement.columns().map((column) => column.name);
    columnNames.set(statement, names);
  }

  return names;
}

function runStatement(statement: Statement, query: CompiledQuery, options: ExecuteOptions): QueryResult {
  const wantsBigints = options.bigintColumns !== undefined && options.bigintColumns.length > 0;
  const params = query.params;

  if (statement.reader) {
    // Rows are always read as arrays. Object rows are built by rowObjects(),
    // because better-sqlite3 fills objects by assignment, which drops a
    // column named `__proto__`.
    configure(statement, true, wantsBigints);
    const rows = (params.length === 0 ? statement.all() : statement.all(...params)) as unknown[][];

    return { rows: options.rowMode === "object" ? rowObjects(namesOf(statement), rows) : rows, rowCount: rows.length };
  }

  configure(statement, false, false);
  const info = params.length === 0 ? statement.run() : statement.run(...params);

  return { rows: [], rowCount: info.changes, insertId: info.lastInsertRowid };
}

/**
 * One connection guarded by a queue: SQLite allows one writer, and a
 * transaction must own the connection until it ends.
 */
export class SqliteDriver implements Driver {
  readonly connection: SqliteConnection;
  readonly #waiting: ((connection: DriverConnection) => void)[] = [];
  #busy = false;
  #closed = false;

  constructor(
    readonly filename: string,
    readonly options: SqliteOptions,
  ) {
    this.connection = new SqliteConnection(openSqlite(filename, options), options.statementCacheSize ?? 500);
  }

  acquire(): Promise<DriverConnection> {
    if (!this.#busy) {
      this.#busy = true;

      return Promise.resolve(this.connection);
    }

    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();

    if (next) {
      next(this.connection);
    } else {
      this.#busy = false;
    }
  }

  /**
   * Streams from a separate read-only connection for file databases, so
   * the main connection stays free for other queries (WAL lets them run
   * side by side). In-memory databases return undefined: there is no
   * second connection to the same memory.
   */
  stream(query: CompiledQuery, options: ExecuteOptions & { batchSize: number }): AsyncIterable<unknown[][]> | undefined {
    if (this.filename === ":memory:" || this.filename === "") {
      // One connection serves everything, so the rows are read at once and
      // the connection released before the first row is yielded; queries
      // inside the loop would wait for it forever otherwise.
      const acquire = () => this.acquire();
      const release = () => this.release();

      return {
        async *[Symbol.asyncIterator]() {
          const connection = (await acquire()) as SqliteConnection;
          let rows: unknown[][];

          try {
            rows = runStatement(connection.prepare(query.sql), query, options).rows as unknown[][];
          } finally {
            release();
          }

          yield* rowBatches(rows, options.batchSize);
        },
      };
    }

    const { filename } = this;
    const settings = this.options;

    return {
      async *[Symbol.asyncIterator]() {
        const reader = openSqlite(filename, settings, true);

        try {
          const statement = reader.prepare(query.sql);
          statement.raw(options.rowMode === "array");
          statement.safeIntegers((options.bigintColumns?.length ?? 0) > 0);
          const size = Math.max(1, options.batchSize);
          let batch: unknown[][] = [];

          for (const row of statement.iterate(...query.params)) {
            batch.push(row as unknown[]);

            if (batch.length >= size) {
              yield batch;
              batch = [];
              // Let other work run between batches.
              await new Promise((resolve) => setImmediate(resolve));
            }
          }

          if (batch.length > 0) {
            yield batch;
          }
        } finally {
          reader.close();
        }
      },
    };
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.connection.handle.close();
    }
  }
}

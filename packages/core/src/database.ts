import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import type {
  CompiledQuery,
  Dialect,
  DriverConnection,
  ExecuteOptions,
  QueryResult,
  TransactionOptions,
} from "./dialect.js";
import { ChakraError, TransactionError, ValidationError } from "./errors.js";
import type { ModelClass } from "./model.js";
import { registeredModels, type ModelMeta } from "./model-meta.js";
import { createTableStatements, dropTableStatements, sortByDependency } from "./schema.js";
import { type SqlFragment, sql as sqlTag } from "./sql.js";
import { logCallbackError, stderrQueryLogger } from "./logging.js";
import type { DatabaseRouter } from "./router.js";

/** The `query` event payload. Parameter values appear only when opted in. */
export interface QueryEvent {
  sql: string;
  parameterCount: number;
  params?: unknown[];
  durationMs: number;
  rowCount: number;
  connection: string;
  dialect: string;
  inTransaction: boolean;
  error?: unknown;
}

export interface DatabaseOptions {
  dialect: Dialect;
  /** Connection name used in events and by `using("name")`. */
  name?: string;
  /** Include parameter values in query events. Off by default. */
  logParameters?: boolean;
  /** "raise" makes every unloaded relation access throw. Default "lazy". */
  relationLoading?: "lazy" | "raise";
  /** Models that createTables() and dropTables() handle; default all defined. */
  models?: ModelClass[];
  /** Sends unbound queries to other databases; used on the default database. */
  router?: DatabaseRouter;
}

interface TransactionFrame {
  db: Database;
  connection: DriverConnection;
  depth: number;
  savepoints: number;
  onCommit: (() => unknown)[];
  outer: TransactionFrame | undefined;
  /** Set once the frame's transaction has ended, to catch stray queries. */
  finished: boolean;
  /** The last savepoint opened directly inside this frame, which the next one waits for. */
  nested?: Promise<void>;
}

const CONTEXT_SLOT = Symbol.for("chakra-orm.transaction-context");

/** The one AsyncLocalStorage for transactions, shared by every copy of core. */
function transactionStorage(): AsyncLocalStorage<TransactionFrame> {
  const slot = globalThis as unknown as Record<symbol, AsyncLocalStorage<TransactionFrame> | undefined>;
  slot[CONTEXT_SLOT] ??= new AsyncLocalStorage<TransactionFrame>();

  return slot[CONTEXT_SLOT];
}

const DATABASES_SLOT = Symbol.for("chakra-orm.databases");

function namedDatabases(): Map<string, Database> {
  const slot = globalThis as unknown as Record<symbol, Map<string, Database> | undefined>;
  slot[DATABASES_SLOT] ??= new Map();

  return slot[DATABASES_SLOT];
}

/**
 * A database: a dialect with its driver, plus transactions, query events
 * and schema helpers. The first one created becomes the default for models
 * that are not bound with `using()`.
 */
export class Database extends EventEmitter {
  readonly dialect: Dialect;
  readonly name: string;
  readonly logParameters: boolean;
  readonly relationLoading: "lazy" | "raise";
  /**
   * Chooses the database for queries and saves that name none, when this
   * is the default database. See DatabaseRouter for the rules.
   */
  router: DatabaseRouter | undefined;
  readonly #models: ModelClass[] | undefined;
  #logging: boolean;
  #closed = false;

  constructor(options: DatabaseOptions) {
    super();
    this.dialect = options.dialect;
    this.name = options.name ?? "default";
    this.logParameters = options.logParameters ?? false;
    this.relationLoading = options.relationLoading ?? "lazy";
    this.#models = options.models;
    this.router = options.router;
    this.#logging = (process.env.CHAKRA_LOG ?? "").split(",").includes("queries");

    if (this.#logging) {
      this.on("query", stderrQueryLogger);
    }

    const registry = namedDatabases();

    if (!registry.has(this.name)) {
      registry.set(this.name, this);
    }

    if (!registry.has("default")) {
      registry.set("default", this);
    }
  }

  /** Makes this database the one unbound queries use. */
  setDefault(): this {
    namedDatabases().set("default", this);

    return this;
  }

  /** Returns a database by name, or the default one. */
  static get(name = "default"): Database {
    const found = namedDatabases().get(name);

    if (!found) {
      throw new ChakraError(
        name === "default"
          ? "No database is configured. Create one with new Database({ dialect }) before running queries."
          : `No database named "${name}" exists. Create it with new Database({ dialect, name: "${name}" }).`,
      );
    }

    return found;
  }

  get inTransaction(): boolean {
    return this.#frame() !== undefined;
  }

  #frame(): TransactionFrame | undefined {
    let frame = transactionStorage().getStore();

    while (frame && frame.db !== this) {
      frame = frame.outer;
    }

    return frame && !frame.finished ? frame : undefined;
  }

  /** Runs a compiled statement on the transaction's connection or a pooled one. */
  async execute(query: CompiledQuery, options: ExecuteOptions): Promise<QueryResult> {
    if (query.params.length > this.dialect.maxParameters) {
      throw new ValidationError(
        `A statement has ${query.params.length} bound parameters, more than the ${this.dialect.maxParameters} that ${this.dialect.name} accepts. Split a large __in list into batches, or filter with a subquery (field__in: otherQuerySet).`,
        { dialect: this.dialect.name, value: query.params.length },
      );
    }

    const frame = this.#frame();
    const timed = this.#logging || this.listenerCount("query") > 0;
    const started = timed ? performance.now() : 0;
    let result: QueryResult | undefined;
    let failure: unknown;

    try {
      if (frame) {
        result = await frame.connection.execute(query, options);
      } else {
        const connection = await this.#acquire();
        let discard = false;

        try {
          result = await connection.execute(query, options);
        } catch (error) {
          discard = isConnectionLost(this.dialect.translateError(error, query));
          throw error;
        } finally {
          this.dialect.driver.release(connection, discard);
        }
      }

      return result;
    } catch (error) {
      failure = ChakraError.is(error) ? error : this.dialect.translateError(error, query);
      throw failure;
    } finally {
      if (timed) {
        this.#emitQuery(query, started, result, failure, frame !== undefined);
      }
    }
  }

  /** Streams rows of a compiled SELECT, a batch of rows at a time. */
  async *stream(
    query: CompiledQuery,
    options: ExecuteOptions & { batchSize: number },
  ): AsyncGenerator<unknown[][]> {
    const frame = this.#frame();

    if (frame) {
      yield* frame.connection.stream(query, { ...options, shared: true });

      return;
    }

    const direct = this.dialect.driver.stream?.(query, options);

    if (direct) {
      try {
        yield* direct;
      } catch (error) {
        throw ChakraError.is(error) ? error : this.dialect.translateError(error, query);
      }

      return;
    }

    const connection = await this.#acquire();
    let discard = false;

    try {
      yield* connection.stream(query, options);
    } catch (error) {
      const translated = ChakraError.is(error) ? error : this.dialect.translateError(error, query);
      discard = isConnectionLost(translated);
      throw translated;
    } finally {
      this.dialect.driver.release(connection, discard);
    }
  }

  async #acquire(): Promise<DriverConnection> {
    if (this.#closed) {
      throw new ChakraError(
        `Database "${this.name}" is closed. Create a new Database to run more queries.`,
      );
    }

    try {
      return await this.dialect.driver.acquire();
    } catch (error) {
      throw ChakraError.is(error) ? error : this.dialect.translateError(error);
    }
  }

  #emitQuery(
    query: CompiledQuery,
    started: number,
    result: QueryResult | undefined,
    error: unknown,
    inTransaction: boolean,
  ): void {
    const event: QueryEvent = {
      sql: query.sql,
      parameterCount: query.params.length,
      durationMs: performance.now() - started,
      rowCount: result ? (result.rows.length || result.rowCount) : 0,
      connection: this.name,
      dialect: this.dialect.name,
      inTransaction,
    };

    if (this.logParameters) {
      event.params = query.params;
    }

    if (error !== undefined) {
      event.error = error;
    }

    this.emit("query", event);
  }

  /**
   * Runs `fn` in a transaction: commits when it resolves, rolls back when it
   * throws. A nested call opens a savepoint. Queries inside `fn` join the
   * transaction without passing `tx` around.
   */
  async transaction<T>(
    fn: (tx: Database) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const outer = this.#frame();

    if (outer) {
      return this.#savepoint(outer, fn);
    }

    const connection = await this.#acquire();
    const frame: TransactionFrame = {
      db: this,
      connection,
      depth: 1,
      savepoints: 0,
      onCommit: [],
      outer: transactionStorage().getStore(),
      finished: false,
    };
    let discard = false;
    let result: T;

    try {
      for (const statement of this.dialect.beginStatements(options)) {
        await this.#control(connection, statement);
      }

      try {
        result = await transactionStorage().run(frame, () => fn(this));
      } catch (error) {
        frame.finished = true;

        try {
          await this.#control(connection, "rollback");
        } catch (rollbackError) {
          discard = true;
          (error as { rollbackError?: unknown }).rollbackError = rollbackError;
        }

        throw error;
      }

      frame.finished = true;
      await this.#control(connection, "commit");
    } catch (error) {
      // A failed BEGIN or COMMIT leaves the connection in an unknown state.
      if (!frame.finished || isConnectionLost(error)) {
        discard = true;
      }

      throw error;
    } finally {
      frame.finished = true;
      this.dialect.driver.release(connection, discard);
    }

    await this.#runCommitCallbacks(frame.onCommit);

    return result;
  }

  async #savepoint<T>(outer: TransactionFrame, fn: (tx: Database) => Promise<T>): Promise<T> {
    // Savepoints on one connection nest, they cannot overlap: rolling back
    // one started while a sibling was open would undo the sibling's writes
    // too. So sibling savepoints (Promise.all of nested transactions) run
    // one after another.
    const previous = outer.nested;
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    outer.nested = previous ? previous.then(() => done) : done;

    if (previous) {
      await previous;
    }

    try {
      return await this.#runSavepoint(outer, fn);
    } finally {
      release();
    }
  }

  async #runSavepoint<T>(outer: TransactionFrame, fn: (tx: Database) => Promise<T>): Promise<T> {
    outer.savepoints += 1;
    const name = `chakra_sp_${outer.depth}_${outer.savepoints}`;
    const frame: TransactionFrame = {
      ...outer,
      depth: outer.depth + 1,
      savepoints: 0,
      onCommit: [],
      outer: transactionStorage().getStore(),
      finished: false,
      nested: undefined,
    };

    await this.#control(outer.connection, `savepoint ${name}`);
    let result: T;

    try {
      result = await transactionStorage().run(frame, () => fn(this));
    } catch (error) {
      frame.finished = true;
      await this.#control(outer.connection, `rollback to savepoint ${name}`);
      throw error;
    }

    frame.finished = true;
    await this.#control(outer.connection, `release savepoint ${name}`);
    outer.onCommit.push(...frame.onCommit);

    return result;
  }

  /**
   * Runs onCommit callbacks after a commit. The data is committed by then,
   * so a failing callback must not make the transaction look failed (a
   * caller would retry and write twice): its error is emitted as a
   * `callbackError` event, or written to stderr when no listener is registered, and
   * the remaining callbacks still run.
   */
  async #runCommitCallbacks(callbacks: readonly (() => unknown)[]): Promise<void> {
    for (const callback of callbacks) {
      try {
        await callback();
      } catch (error) {
        if (this.listenerCount("callbackError") > 0) {
          this.emit("callbackError", error);
        } else {
          logCallbackError(this.name, error);
        }
      }
    }
  }

  async #control(connection: DriverConnection, statement: string): Promise<void> {
    const query = { sql: statement, params: [] };
    const timed = this.#logging || this.listenerCount("query") > 0;
    const started = timed ? performance.now() : 0;
    let failure: unknown;

    try {
      await connection.execute(query, { rowMode: "array", returnsRows: false });
    } catch (error) {
      failure = this.dialect.translateError(error, query);

      if (!ChakraError.is(failure) || failure.constructor === ChakraError) {
        failure = new TransactionError(`Transaction statement "${statement}" failed on ${this.dialect.name}.`, {
          cause: error,
          dialect: this.dialect.name,
        });
      }

      throw failure;
    } finally {
      if (timed) {
        this.#emitQuery(query, started, { rows: [], rowCount: 0 }, failure, true);
      }
    }
  }

  /**
   * Runs `fn` after the outermost transaction commits, or at once when no
   * transaction is open. A rolled-back transaction drops its callbacks.
   */
  async onCommit(fn: () => unknown): Promise<void> {
    const frame = this.#frame();

    if (!frame) {
      await fn();

      return;
    }

    frame.onCommit.push(fn);
  }

  /**
   * Runs a raw SQL statement written as a tagged template and returns its
   * rows as objects. Every interpolation is a bound parameter.
   *
   * @example
   * const rows = await db.sql`select count(*) as n from posts where views > ${min}`;
   */
  sql<R = Record<string, unknown>>(
    strings: TemplateStringsArray,
    ...values: unknown[]
  ): Promise<R[]> {
    return this.raw<R>(sqlTag(strings, ...values));
  }

  /** Runs an `sql` fragment and returns its rows as objects. */
  async raw<R = Record<string, unknown>>(fragment: SqlFragment): Promise<R[]> {
    const compiled = fragment.compile(this.dialect.compiler);
    const result = await this.execute(compiled, {
      rowMode: "object",
      returnsRows: true,
    });

    return result.rows as R[];
  }

  /** Models this database manages, in dependency order, through tables included. */
  models(): ModelMeta[] {
    const metas = (this.#models ?? registeredModels().map((meta) => meta.cls)).map((cls) => cls.$meta);

    for (const meta of metas) {
      meta.resolve();
    }

    const all = new Set(metas);

    for (const meta of registeredModels()) {
      if (meta.autoCreated && [...all].some((owner) => owner.fields.some((item) => (item as { throughModel?: ModelClass }).throughModel?.$meta === meta))) {
        all.add(meta);
      }
    }

    return sortByDependency([...all]);
  }

  /** Creates the tables (and indexes) of the managed models if they are missing. */
  async createTables(): Promise<void> {
    for (const meta of this.models()) {
      for (const statement of createTableStatements(this.dialect, meta)) {
        await this.execute(statement, { rowMode: "array", returnsRows: false });
      }
    }
  }

  /** Drops the tables of the managed models, dependents first. */
  async dropTables(): Promise<void> {
    for (const meta of this.models().reverse()) {
      for (const statement of dropTableStatements(this.dialect, meta)) {
        await this.execute(statement, { rowMode: "array", returnsRows: false });
      }
    }
  }

  /** Closes the driver's connections. Further queries raise a ChakraError. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }

    this.#closed = true;
    const registry = namedDatabases();

    for (const [key, item] of registry) {
      if (item === this) {
        registry.delete(key);
      }
    }

    await this.dialect.driver.close();
  }
}

function isConnectionLost(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: string }).name === "ConnectionError"
  );
}

/** Returns the database for a `using()` argument or the default. */
export function resolveDatabase(db: Database | string | undefined): Database {
  if (db instanceof Database) {
    return db;
  }

  if (db !== undefined && typeof db !== "string") {
    throw new ValidationError(
      `using(): expected a Database or a database name, got ${typeof db}.`,
    );
  }

  return Database.get(db);
}

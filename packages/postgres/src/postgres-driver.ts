import {
  rowBatches,
  rowObjects,
  type ChakraError,
  type CompiledQuery,
  type Driver,
  type DriverConnection,
  type ExecuteOptions,
  type QueryResult,
} from "@chakra-orm/core";
import pg from "pg";
import Cursor from "pg-cursor";
import { poolTimeoutError, translatePostgresError } from "./postgres-errors.js";
import { postgresTypes } from "./postgres-types.js";

/** pg-pool's message when `connectionTimeoutMillis` passes while waiting. */
const POOL_TIMEOUT_MESSAGE = "timeout exceeded when trying to connect";

/** Settings for the driver: a pg pool config plus per-session setup. */
export interface PostgresDriverOptions {
  pool: pg.PoolConfig;
  /** SQL run once on every new connection before its first query. */
  sessionSetup: string;
  /** Receives errors of idle pooled connections, which pg cannot throw to a caller. */
  onError: (error: Error) => void;
  /** Runs once, on the first connection the pool opens. */
  onFirstConnection?: (client: pg.PoolClient) => Promise<void>;
}

/** One pooled pg client, bound to core's connection contract. */
export class PostgresConnection implements DriverConnection {
  constructor(readonly client: pg.PoolClient) {}

  async execute(query: CompiledQuery, options: ExecuteOptions): Promise<QueryResult> {
    // Object rows are built here from arrays: pg fills objects by
    // assignment, which drops a column named `__proto__`.
    const result = await this.client.query<unknown[]>({
      text: query.sql,
      values: query.params,
      types: postgresTypes,
      rowMode: "array",
    });
    const rows = options.rowMode === "array" ? result.rows : rowObjects(result.fields.map((item) => item.name), result.rows);

    return { rows, rowCount: result.rowCount ?? 0 };
  }

  /**
   * Streams rows through a protocol-level cursor (pg-cursor), fetching
   * `batchSize` rows per round trip. It works inside and outside a
   * transaction, and closing the iterator early closes the cursor.
   */
  async *stream(
    query: CompiledQuery,
    options: ExecuteOptions & { batchSize: number },
  ): AsyncIterable<unknown[][]> {
    // NOTE: inside a transaction the loop's own queries share this client,
    // and pg queues them behind an open cursor, so the rows are read at once
    // there: memory is bounded only outside transactions.
    if (options.shared) {
      const { rows } = await this.execute(query, options);
      yield* rowBatches(rows as unknown[][], options.batchSize);

      return;
    }

    const cursor = this.client.query(
      new Cursor<unknown[]>(query.sql, query.params, {
        types: postgresTypes,
        ...(options.rowMode === "array" ? { rowMode: "array" as const } : {}),
      }),
    );

    try {
      let rows = await cursor.read(options.batchSize);

      while (rows.length > 0) {
        yield rows;
        rows = await cursor.read(options.batchSize);
      }
    } finally {
      await cursor.close();
    }
  }
}

/**
 * The pg pool behind a postgres dialect. Each new connection runs the
 * session setup (time zone, statement timeout, search path) before it is
 * handed out, so no query ever runs with the server's defaults.
 */
export class PostgresDriver implements Driver {
  readonly pool: pg.Pool;
  readonly #options: PostgresDriverOptions;
  readonly #prepared = new WeakSet<pg.PoolClient>();
  #firstConnection: Promise<void> | undefined;

  constructor(options: PostgresDriverOptions) {
    this.#options = options;
    this.pool = new pg.Pool(options.pool);
    // The pool's options hold the password and the connection URL, so keep
    // the pool out of util.inspect() and JSON output of the driver.
    Object.defineProperty(this, "pool", { enumerable: false });
    this.pool.on("error", (error) => options.onError(translatePostgresError(error)));
  }

  async acquire(): Promise<DriverConnection> {
    let client: pg.PoolClient;

    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.#acquireError(error);
    }

    if (!this.#prepared.has(client)) {
      try {
        await this.#prepare(client);
      } catch (error) {
        client.release(true);
        throw translatePostgresError(error);
      }
    }

    return new PostgresConnection(client);
  }

  async #prepare(client: pg.PoolClient): Promise<void> {
    // A checked-out client has no pool listener, and an unhandled 'error'
    // event would end the process. The failing query rejects on its own.
    client.on("error", () => undefined);

    if (this.#options.sessionSetup !== "") {
      await client.query(this.#options.sessionSetup);
    }

    if (this.#options.onFirstConnection) {
      this.#firstConnection ??= this.#options.onFirstConnection(client).catch((error: unknown) => {
        // Let the next connection try again.
        this.#firstConnection = undefined;
        throw error;
      });
      await this.#firstConnection;
    }

    this.#prepared.add(client);
  }

  #acquireError(error: unknown): ChakraError | Error {
    if (error instanceof Error && error.message === POOL_TIMEOUT_MESSAGE) {
      return poolTimeoutError(
        error,
        {
          max: this.pool.options.max,
          totalCount: this.pool.totalCount,
          idleCount: this.pool.idleCount,
          waitingCount: this.pool.waitingCount,
        },
        this.#options.pool.connectionTimeoutMillis,
      );
    }

    return translatePostgresError(error);
  }

  release(connection: DriverConnection, discard = false): void {
    (connection as PostgresConnection).client.release(discard ? true : undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

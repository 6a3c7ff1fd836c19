/** The mysql2 promise pool behind the MySQL dialect, and its connections. */
import {
  ConnectionError,
  QueryTimeoutError,
  rowBatches,
  rowObjects,
  type CompiledQuery,
  type Driver,
  type DriverConnection,
  type ExecuteOptions,
  type QueryResult,
} from "@chakra-orm/core";
import type { PoolConnection as CallbackPoolConnection } from "mysql2";
import mysql2 from "mysql2/promise";

/** What the dialect learns from the first connection it opens. */
export interface ServerInfo {
  /** `version()`, such as `10.11.6-MariaDB` or `8.0.36`. */
  version: string;
  mariadb: boolean;
  /** `@@innodb_autoinc_lock_mode`: 0 traditional, 1 consecutive, 2 interleaved. */
  autoincLockMode: number;
  /** `@@auto_increment_increment`, the step between generated ids. */
  autoIncrementIncrement: number;
  /** `@@max_allowed_packet` in bytes, the largest statement the server accepts. */
  maxAllowedPacket: number;
}

export interface MysqlDriverSettings {
  connectionLimit: number;
  queueLimit: number;
  /** Milliseconds to wait for a free pooled connection, or 0 to wait forever. */
  acquireTimeout: number;
  /** Milliseconds a statement may run, or undefined to keep the server setting. */
  statementTimeout: number | undefined;
}

/** MySQL "duplicate key name", raised by CREATE INDEX on an existing index. */
const DUPLICATE_KEY_NAME_ERRNO = 1061;
const CREATE_INDEX = /^create (unique |fulltext )?index /i;

/** MySQL "duplicate column name", raised by ALTER TABLE ... ADD COLUMN on an existing column. */
const DUPLICATE_COLUMN_NAME_ERRNO = 1060;
const ADD_COLUMN = /^alter table \S+ add column /i;

/** The setup statement of each new connection, which depends on the server flavor. */
function sessionSettings(server: ServerInfo, statementTimeout: number | undefined): string {
  const settings = ["time_zone = '+00:00'"];

  if (statementTimeout !== undefined) {
    const milliseconds = Math.max(1, Math.round(statementTimeout));
    // MariaDB limits every statement, in seconds; MySQL 8 limits only
    // read-only SELECT statements, in milliseconds.
    settings.push(
      server.mariadb ? `max_statement_time = ${(milliseconds / 1000).toFixed(3)}` : `max_execution_time = ${milliseconds}`,
    );
  }

  return `set session ${settings.join(", ")}`;
}

function toQueryResult(result: unknown): QueryResult {
  if (Array.isArray(result)) {
    return { rows: result, rowCount: result.length };
  }

  const header = result as { affectedRows?: number; insertId?: number | string };
  const insertId = header.insertId;

  return {
    rows: [],
    rowCount: header.affectedRows ?? 0,
    insertId: insertId === undefined || insertId === 0 || insertId === "0"
      ? undefined
      : typeof insertId === "string" ? BigInt(insertId) : insertId,
  };
}

/**
 * One pooled mysql2 connection. Statements with parameters, and every
 * statement that returns rows, run as server-side prepared statements
 * (`execute`), so values never become SQL text whatever the sql_mode or
 * character set. Other statements (DDL, transaction control, which the
 * prepared-statement protocol partly rejects) run as plain queries.
 */
export class MysqlConnection implements DriverConnection {
  constructor(readonly connection: mysql2.PoolConnection) {}

  async execute(query: CompiledQuery, options: ExecuteOptions): Promise<QueryResult> {
    // Rows always arrive as arrays and object rows are built here: mysql2
    // fills objects by assignment, which drops a column named `__proto__`.
    try {
      const [result, fields] = query.params.length > 0 || options.returnsRows
        ? await this.connection.execute({ sql: query.sql, values: query.params as never, rowsAsArray: true })
        : await this.connection.query({ sql: query.sql, rowsAsArray: true });

      if (options.rowMode === "object" && Array.isArray(result) && Array.isArray(fields)) {
        return toQueryResult(rowObjects((fields as { name: string }[]).map((item) => item.name), result as unknown[][]));
      }

      return toQueryResult(result);
    } catch (error) {
      const errno = (error as { errno?: number }).errno;

      if (
        (errno === DUPLICATE_KEY_NAME_ERRNO && CREATE_INDEX.test(query.sql)) ||
        (errno === DUPLICATE_COLUMN_NAME_ERRNO && ADD_COLUMN.test(query.sql))
      ) {
        return { rows: [], rowCount: 0 };
      }

      throw error;
    }
  }

  /**
   * Streams rows with backpressure: mysql2 pauses the socket when the
   * stream's buffer of `batchSize` rows is full. Leaving the loop early
   * destroys the stream, and mysql2 then reads and drops the rest of the
   * result set before the connection runs its next statement.
   */
  async *stream(query: CompiledQuery, options: ExecuteOptions & { batchSize: number }): AsyncIterable<unknown[][]> {
    const size = Math.max(1, options.batchSize);

    // NOTE: inside a transaction the loop's own queries share this
    // connection, which cannot run them while a stream is open, so the rows
    // are read at once there: memory is bounded only outside transactions.
    if (options.shared) {
      const { rows } = await this.execute(query, options);
      yield* rowBatches(rows as unknown[][], options.batchSize);

      return;
    }

    // mysql2 types `connection` as the promise class, but at run time it is
    // the callback connection, whose commands have `stream()`.
    const callbackConnection = this.connection.connection as unknown as CallbackPoolConnection;
    const command = callbackConnection.execute({
      sql: query.sql,
      values: query.params as never,
      rowsAsArray: options.rowMode === "array",
    });
    const rows = command.stream({ highWaterMark: size });
    let batch: unknown[][] = [];

    try {
      for await (const row of rows) {
        batch.push(row as unknown[]);

        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }

      if (batch.length > 0) {
        yield batch;
      }
    } finally {
      rows.destroy();
    }
  }
}

/**
 * The pool driver. Each new connection is set to the UTC session time zone
 * and the statement timeout before its first use; the first one also reads
 * the server version and auto-increment settings into `serverInfo`.
 */
export class MysqlDriver implements Driver {
  readonly pool: mysql2.Pool;
  serverInfo: ServerInfo | undefined;
  readonly #settings: MysqlDriverSettings;
  /** Core connections that have run the session setup. */
  readonly #ready = new WeakSet<object>();
  #waiting = 0;

  constructor(config: mysql2.PoolOptions, settings: MysqlDriverSettings) {
    this.pool = mysql2.createPool(config);
    // The pool's config holds the password, so keep the pool out of
    // util.inspect() and JSON output of the driver.
    Object.defineProperty(this, "pool", { enumerable: false });
    this.#settings = settings;
  }

  async acquire(): Promise<MysqlConnection> {
    const connection = await this.#getConnection();

    if (!this.#ready.has(connection.connection)) {
      try {
        await this.#setUp(connection);
      } catch (error) {
        connection.destroy();
        throw error;
      }

      this.#ready.add(connection.connection);
    }

    return new MysqlConnection(connection);
  }

  release(connection: DriverConnection, discard = false): void {
    const pooled = (connection as MysqlConnection).connection;

    if (discard) {
      pooled.destroy();
    } else {
      pooled.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Reads the server settings once (see ServerInfo) and sets up the session. */
  async #setUp(connection: mysql2.PoolConnection): Promise<void> {
    if (!this.serverInfo) {
      const [rows] = await connection.query({
        sql: "select version(), @@innodb_autoinc_lock_mode, @@auto_increment_increment, @@max_allowed_packet",
        rowsAsArray: true,
      });
      const [version, lockMode, increment, maxAllowedPacket] = (rows as unknown[][])[0]!;
      this.serverInfo = {
        version: String(version),
        mariadb: /mariadb/i.test(String(version)),
        autoincLockMode: Number(lockMode),
        autoIncrementIncrement: Number(increment),
        maxAllowedPacket: Number(maxAllowedPacket),
      };
    }

    await connection.query(sessionSettings(this.serverInfo, this.#settings.statementTimeout));
  }

  async #getConnection(): Promise<mysql2.PoolConnection> {
    const { acquireTimeout, connectionLimit, queueLimit } = this.#settings;
    const pending = this.pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    this.#waiting += 1;

    try {
      if (acquireTimeout <= 0) {
        return await pending;
      }

      return await Promise.race([
        pending,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(
              new QueryTimeoutError(
                `Timed out after ${acquireTimeout} ms waiting for a connection from the MySQL pool (connectionLimit ${connectionLimit}, ${this.#waiting} requests waiting). Raise connectionLimit or acquireTimeout, or finish transactions sooner.`,
                { dialect: "mysql", code: "POOL_ACQUIRE_TIMEOUT" },
              ),
            );
          }, acquireTimeout);
        }),
      ]);
    } catch (error) {
      if (timedOut) {
        // The request stays queued in mysql2; hand its connection back when it arrives.
        pending.then((connection) => connection.release(), () => undefined);
      } else if ((error as Error).message === "Queue limit reached.") {
        throw new ConnectionError(
          `The MySQL pool's wait queue is full (queueLimit ${queueLimit}, connectionLimit ${connectionLimit}, ${this.#waiting} requests waiting). Raise queueLimit or connectionLimit, or send fewer concurrent queries.`,
          { dialect: "mysql", code: "POOL_QUEUE_FULL", cause: error },
        );
      }

      throw error;
    } finally {
      clearTimeout(timer);
      this.#waiting -= 1;
    }
  }
}

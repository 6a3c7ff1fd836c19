/** The MySQL/MariaDB dialect: options, capabilities, transactions and generated ids. */
import {
  NotSupportedError,
  ValidationError,
  describeValue,
  type Capabilities,
  type CompiledQuery,
  type Dialect,
  type IsolationLevel,
  type ModelMeta,
  type SearchSpec,
  type TransactionOptions,
} from "@chakra-orm/core";
import type mysql2 from "mysql2/promise";
import { MysqlCompiler } from "./mysql-compiler.js";
import { MysqlDriver } from "./mysql-driver.js";
import { translateMysqlError } from "./mysql-errors.js";
import { fulltextCreateStatements, fulltextDropStatements, fulltextIndexStatements } from "./fulltext/fulltext-schema.js";

export interface MysqlOptions {
  /** A connection URL, `mysql://user:password@host:port/database`. The other fields override its parts. */
  uri?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Maximum open connections in the pool. Default 10. */
  connectionLimit?: number;
  /** Milliseconds before an idle pooled connection is closed. Default 60000. */
  idleTimeout?: number;
  /** Milliseconds to wait for the TCP connection and handshake. Default 10000. */
  connectTimeout?: number;
  /** Milliseconds to wait for a free pooled connection before a QueryTimeoutError, or 0 to wait forever. Default 30000. */
  acquireTimeout?: number;
  /**
   * Milliseconds a statement may run before the server stops it with a
   * QueryTimeoutError. MariaDB applies it to every statement
   * (max_statement_time, whole milliseconds). MySQL 8 applies it to
   * read-only SELECT statements only (max_execution_time), so writes there
   * run unbounded. Default: the server's setting.
   */
  statementTimeout?: number;
  /** Maximum requests waiting for a connection before a ConnectionError, or 0 for no limit. Default 0. */
  queueLimit?: number;
  /** TLS options, passed to mysql2 as they are. */
  ssl?: mysql2.PoolOptions["ssl"];
  /** Bound parameters per statement, which sizes bulk insert chunks. Default 65535, the protocol's maximum. */
  maxParameters?: number;
}

const ISOLATION_LEVELS: ReadonlySet<IsolationLevel> = new Set([
  "read uncommitted",
  "read committed",
  "repeatable read",
  "serializable",
]);

/** The prepared-statement protocol counts parameters in 16 bits. */
const MAX_PARAMETERS = 65_535;

/**
 * Bytes of bound values per bulk statement before the first connection has
 * read max_allowed_packet: a quarter of 4 MiB, the smallest default among
 * MySQL 5.7 (4 MiB), MariaDB 10.6+ (16 MiB) and MySQL 8 (64 MiB).
 */
const DEFAULT_STATEMENT_BYTES = 1024 * 1024;

/**
 * Prepared statements each connection keeps. Bulk inserts of different sizes
 * and `in` lists make many statement shapes, and the server allows only
 * max_prepared_stmt_count (16382 by default) across all connections.
 */
const PREPARED_STATEMENT_CACHE_SIZE = 256;

function positive(name: string, item: number | undefined, fallback: number, allowZero = false): number {
  if (item === undefined) {
    return fallback;
  }

  if (!Number.isFinite(item) || item < 0 || (!allowZero && item === 0)) {
    throw new ValidationError(`mysql(): invalid ${name} ${describeValue(item)}. Pass a number ${allowZero ? "of 0 or more" : "above 0"}.`, {
      value: item,
    });
  }

  return item;
}

/**
 * A Dialect for MySQL 8 and MariaDB 10.6 or later on a mysql2 pool.
 * Capabilities that depend on the server are read from `driver.serverInfo`,
 * which the first connection fills in.
 */
export class MysqlDialect implements Dialect {
  readonly name = "mysql";
  readonly compiler = new MysqlCompiler();
  readonly maxParameters: number;
  readonly driver: MysqlDriver;
  readonly capabilities: Capabilities;

  constructor(options: MysqlOptions) {
    const connectionLimit = positive("connectionLimit", options.connectionLimit, 10);
    const queueLimit = positive("queueLimit", options.queueLimit, 0, true);
    const statementTimeout = options.statementTimeout === undefined ? undefined : positive("statementTimeout", options.statementTimeout, 0);
    this.maxParameters = Math.min(MAX_PARAMETERS, positive("maxParameters", options.maxParameters, MAX_PARAMETERS));
    const config: mysql2.PoolOptions = {
      ...(options.uri === undefined ? {} : { uri: options.uri }),
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.database === undefined ? {} : { database: options.database }),
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      connectionLimit,
      maxIdle: connectionLimit,
      queueLimit,
      idleTimeout: positive("idleTimeout", options.idleTimeout, 60_000),
      connectTimeout: positive("connectTimeout", options.connectTimeout, 10_000),
      charset: "utf8mb4",
      // Dates are converted by the dialect (see mysql-types.ts); "Z" keeps
      // any Date mysql2 still converts in UTC.
      timezone: "Z",
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      jsonStrings: true,
      // UPDATE reports matched rows, not changed rows, in affectedRows.
      flags: ["+FOUND_ROWS"],
      multipleStatements: false,
      maxPreparedStatements: PREPARED_STATEMENT_CACHE_SIZE,
    };
    this.driver = new MysqlDriver(config, {
      connectionLimit,
      queueLimit,
      acquireTimeout: positive("acquireTimeout", options.acquireTimeout, 30_000, true),
      statementTimeout,
    });
    const driver = this.driver;
    this.compiler.serverInfo = () => driver.serverInfo;
    this.capabilities = {
      returning: false,
      transactionalDdl: false,
      selectForUpdate: true,
      statementTimeout: true,
      get maxRowsPerInsertWithoutReturning() {
        return consecutiveIdsGuaranteed(driver) ? undefined : 1;
      },
    };
  }

  /**
   * A quarter of the server's max_allowed_packet, so a bulk statement stays
   * well below it although its size is an estimate (see `chunkRanges` in core).
   */
  get maxStatementBytes(): number {
    const packet = this.driver.serverInfo?.maxAllowedPacket;

    return packet === undefined || !Number.isFinite(packet) ? DEFAULT_STATEMENT_BYTES : Math.floor(packet / 4);
  }

  translateError(error: unknown, query?: CompiledQuery): Error {
    return translateMysqlError(error, query);
  }

  /** Creates the FULLTEXT index of the model's search field, if it has one. */
  afterCreateTable(meta: ModelMeta): CompiledQuery[] {
    return fulltextCreateStatements(meta, (name) => this.compiler.quote(name));
  }

  /** Adds a search index's generated column and FULLTEXT index, for migrations. */
  createSearchIndex(search: SearchSpec): CompiledQuery[] {
    return fulltextIndexStatements(search, (name) => this.compiler.quote(name));
  }

  /** Drops a search index's FULLTEXT index and generated column, for migrations. */
  dropSearchIndex(search: SearchSpec): CompiledQuery[] {
    return fulltextDropStatements(search, (name) => this.compiler.quote(name));
  }

  /** Sets the isolation level for the next transaction only, then starts it. */
  beginStatements(options: TransactionOptions): string[] {
    const statements: string[] = [];

    if (options.isolation !== undefined) {
      if (!ISOLATION_LEVELS.has(options.isolation)) {
        throw new ValidationError(
          `Invalid isolation level ${describeValue(options.isolation)}. Use one of ${[...ISOLATION_LEVELS].join(", ")}.`,
          { value: options.isolation },
        );
      }

      statements.push(`set transaction isolation level ${options.isolation}`);
    }

    statements.push(options.readOnly ? "start transaction read only" : "start transaction");

    return statements;
  }

  /**
   * Returns the ids of a multi-row INSERT: `firstId + i * auto_increment_increment`.
   * This holds only when InnoDB hands one statement consecutive ids, which
   * it does with innodb_autoinc_lock_mode 0 or 1. With mode 2 (the MySQL 8
   * default) the capability `maxRowsPerInsertWithoutReturning` is 1, so core
   * inserts rows one by one and never asks for more than one id here.
   */
  generatedIds(firstId: number | bigint, count: number): unknown[] {
    if (count > 1 && !consecutiveIdsGuaranteed(this.driver)) {
      throw new NotSupportedError(
        `Cannot derive ${count} generated ids from one INSERT: innodb_autoinc_lock_mode is ${this.driver.serverInfo?.autoincLockMode ?? "unknown"}, so the ids may not be consecutive. Insert the rows one at a time.`,
        { dialect: this.name },
      );
    }

    const increment = this.driver.serverInfo?.autoIncrementIncrement ?? 1;
    const ids: unknown[] = new Array(count);

    for (let index = 0; index < count; index += 1) {
      ids[index] = typeof firstId === "bigint" ? firstId + BigInt(index * increment) : firstId + index * increment;
    }

    return ids;
  }
}

/** True when the server is known to give one INSERT consecutive auto-increment ids. */
function consecutiveIdsGuaranteed(driver: MysqlDriver): boolean {
  const mode = driver.serverInfo?.autoincLockMode;

  return mode === 0 || mode === 1;
}

/**
 * Creates a MySQL/MariaDB dialect on a mysql2 pool. The pool opens
 * connections on first use; `db.close()` closes them.
 *
 * @example
 * const db = new Database({ dialect: mysql("mysql://app:secret@127.0.0.1:3306/shop") });
 * const strict = mysql({ host: "127.0.0.1", user: "app", database: "shop", statementTimeout: 5000 });
 */
export function mysql(options: string | MysqlOptions): MysqlDialect {
  const settings = typeof options === "string" ? { uri: options } : options;

  if (settings.uri !== undefined) {
    checkUri(settings.uri);
  }

  return new MysqlDialect(settings);
}

/**
 * Rejects a malformed connection URL with a message that hides the
 * password; the URL parser's own TypeError would carry the whole URL.
 */
function checkUri(uri: string): void {
  try {
    new URL(uri);
  } catch {
    const redacted = uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");

    throw new ValidationError(
      `mysql(): invalid connection URL ${JSON.stringify(redacted)}. Use mysql://user:password@host:port/database.`,
      { dialect: "mysql" },
    );
  }
}

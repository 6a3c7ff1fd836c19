import {
  type ModelMeta,
  ValidationError,
  describeValue,
  type Capabilities,
  type CompiledQuery,
  type Dialect,
  type IsolationLevel,
  type SearchSpec,
  type TransactionOptions,
} from "@chakra-orm/core";
import type pg from "pg";
import { PostgresCompiler } from "./postgres-compiler.js";
import { PostgresDriver } from "./postgres-driver.js";
import { translatePostgresError } from "./postgres-errors.js";
import { dropSearchIndexStatements, searchIndexStatements, searchVectorStatements } from "./search/search-schema.js";

/** Connection and pool settings of the postgres dialect. */
export interface PostgresOptions {
  /** A `postgres://user:password@host:port/database` URL. */
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Maximum number of pooled connections. Default 10 (pg's default). */
  max?: number;
  /** Milliseconds an idle connection stays in the pool. Default 10000. */
  idleTimeoutMillis?: number;
  /**
   * Milliseconds to wait for a new connection or a free pooled one before
   * raising QueryTimeoutError. Default 30000, the MySQL dialect's
   * acquireTimeout, so an exhausted pool fails instead of hanging; 0 waits forever.
   */
  connectionTimeoutMillis?: number;
  /** Milliseconds after which the server cancels a statement. Unset means no limit. */
  statementTimeout?: number;
  /** Schema placed first on each session's search_path. */
  schema?: string;
  /**
   * Collation for `lower()` in case-insensitive lookups, such as
   * `"und-x-icu"`. Unset, the dialect checks on its first connection whether
   * the database's LC_CTYPE lower-cases non-ASCII letters and falls back to
   * `und-x-icu` when it does not.
   */
  caseFoldCollation?: string;
  /**
   * Receives errors of idle pooled connections (for example after a server
   * restart), which no caller is waiting for. Default: one line on stderr,
   * at most one every 10 seconds.
   */
  onError?: (error: Error) => void;
  /** TLS settings, passed to pg unchanged. */
  ssl?: pg.PoolConfig["ssl"];
}

const CAPABILITIES: Capabilities = {
  returning: true,
  transactionalDdl: true,
  selectForUpdate: true,
  statementTimeout: true,
  fieldKinds: ["array", "tsVector"],
};

const ISOLATION_LEVELS: readonly IsolationLevel[] = [
  "read uncommitted",
  "read committed",
  "repeatable read",
  "serializable",
];

/** The bound-parameter limit of PostgreSQL's wire protocol (a 16-bit count). */
const MAX_PARAMETERS = 65535;

/** Milliseconds to wait for a pooled connection unless connectionTimeoutMillis is set. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;

/** Milliseconds between two pool error lines of the default logger. */
const POOL_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * The PostgreSQL dialect: a pg pool, the PostgreSQL compiler and the
 * SQLSTATE error mapping. Create it with `postgres()`.
 *
 * @example
 * const dialect = postgres({ host: "localhost", database: "app", max: 5 });
 * dialect.beginStatements({ isolation: "serializable" });
 * // ["begin isolation level serializable"]
 */
export class PostgresDialect implements Dialect {
  readonly name = "postgres";
  readonly compiler = new PostgresCompiler();
  readonly capabilities = CAPABILITIES;
  readonly maxParameters = MAX_PARAMETERS;
  readonly driver: PostgresDriver;

  constructor(options: PostgresOptions) {
    this.compiler.caseFoldCollation = options.caseFoldCollation;
    this.driver = new PostgresDriver({
      pool: poolConfig(options),
      sessionSetup: sessionSetup(options),
      onError: options.onError ?? stderrPoolErrorLogger(),
      onFirstConnection:
        options.caseFoldCollation === undefined
          ? (client) => this.#probeCaseFolding(client)
          : undefined,
    });
  }

  translateError(error: unknown, query?: CompiledQuery): Error {
    return translatePostgresError(error, query);
  }

  /** Adds the generated search vector column and its GIN index of a search field. */
  afterCreateTable(meta: ModelMeta): CompiledQuery[] {
    return searchVectorStatements(meta);
  }

  /** Adds a search index's generated tsvector column and GIN index, for migrations. */
  createSearchIndex(search: SearchSpec): CompiledQuery[] {
    return searchIndexStatements(search);
  }

  /** Drops a search index's GIN index and generated column, for migrations. */
  dropSearchIndex(search: SearchSpec): CompiledQuery[] {
    return dropSearchIndexStatements(search);
  }

  /**
   * Moves the identity sequence of `meta`'s key past its largest value. An
   * identity column's sequence ignores explicit keys, so without this the
   * next generated key could collide with an imported row.
   */
  afterExplicitKeys(meta: ModelMeta): CompiledQuery[] {
    const table = this.compiler.quote(meta.table);
    const column = this.compiler.quote(meta.pk.column);

    return [
      {
        sql: `select setval(pg_get_serial_sequence($1, $2), greatest(coalesce((select max(${column}) from ${table}), 0), 1), (select max(${column}) from ${table}) is not null)`,
        params: [table, meta.pk.column],
      },
    ];
  }

  beginStatements(options: TransactionOptions): string[] {
    let statement = "begin";

    if (options.isolation !== undefined) {
      if (!ISOLATION_LEVELS.includes(options.isolation)) {
        throw new ValidationError(
          `db.transaction(): invalid isolation level ${describeValue(options.isolation)}. Use one of ${ISOLATION_LEVELS.join(", ")}.`,
          { dialect: this.name, value: options.isolation },
        );
      }

      statement += ` isolation level ${options.isolation}`;
    }

    if (options.readOnly) {
      statement += " read only";
    }

    return [statement];
  }

  /**
   * Checks whether `lower()` folds non-ASCII letters under the database's
   * LC_CTYPE (a "C" database folds ASCII only) and, if not, switches
   * case-insensitive lookups to the ICU root collation when it exists.
   */
  async #probeCaseFolding(client: pg.PoolClient): Promise<void> {
    const result = await client.query<{ folds: boolean; icu: boolean }>(
      "select lower('ÄÖÜ') = 'äöü' as folds, exists (select 1 from pg_collation where collname = 'und-x-icu') as icu",
    );
    const row = result.rows[0];

    // NOTE: without ICU on a database whose LC_CTYPE folds ASCII only,
    // iexact and icontains stay ASCII-only, and queries compiled before the
    // first connection opened always use plain lower().
    if (row && !row.folds && row.icu) {
      this.compiler.caseFoldCollation = "und-x-icu";
    }
  }
}

function poolConfig(options: PostgresOptions): pg.PoolConfig {
  return {
    connectionString: options.connectionString,
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    ssl: options.ssl,
  };
}

/** SQL that fixes each session's time zone, statement timeout and search path. */
function sessionSetup(options: PostgresOptions): string {
  const statements = ["set time zone 'UTC'"];
  const timeout = options.statementTimeout;

  if (timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 0) {
      throw new ValidationError(
        `postgres(): invalid statementTimeout ${describeValue(timeout)}. Pass a whole number of milliseconds, or 0 for no limit.`,
        { dialect: "postgres", value: timeout },
      );
    }

    statements.push(`set statement_timeout = ${timeout}`);
  }

  if (options.schema !== undefined) {
    statements.push(`set search_path to "${options.schema.replace(/"/g, '""')}"`);
  }

  return statements.join("; ");
}

/** Writes pool errors to stderr, at most one line per interval, counting the rest. */
function stderrPoolErrorLogger(): (error: Error) => void {
  let lastWrite = 0;
  let suppressed = 0;

  return (error) => {
    const now = Date.now();

    if (now - lastWrite < POOL_ERROR_LOG_INTERVAL_MS) {
      suppressed += 1;

      return;
    }

    const repeats = suppressed > 0 ? ` (${suppressed} more since the last line)` : "";
    process.stderr.write(`[chakra] postgres pool: an idle connection failed: ${error.message}${repeats}\n`);
    lastWrite = now;
    suppressed = 0;
  };
}

/**
 * Creates a PostgreSQL dialect on a pg pool, from a connection URL or from
 * options. Every pooled session runs in UTC, so date-times read and written
 * through the dialect are the same instants whatever the server's time zone.
 * Connections open lazily, on the first query.
 *
 * @example
 * const db = new Database({
 *   dialect: postgres({ connectionString: process.env.DATABASE_URL, max: 10 }),
 * });
 */
export function postgres(options: string | PostgresOptions): PostgresDialect {
  return new PostgresDialect(
    typeof options === "string" ? { connectionString: options } : options,
  );
}

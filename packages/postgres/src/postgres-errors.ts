/**
 * The one table from PostgreSQL SQLSTATE codes and socket errors to Chakra
 * error classes. Messages name the statement, table, constraint and columns
 * but never bound parameter values or the server's `detail` text, because
 * both can carry row data. The driver error stays on `cause`.
 */
import {
  ChakraError,
  CheckViolation,
  ConnectionError,
  DatabaseError,
  DeadlockError,
  ForeignKeyViolation,
  LockNotAvailableError,
  NotNullViolation,
  QueryTimeoutError,
  SerializationError,
  TransactionError,
  UniqueViolation,
  type CompiledQuery,
  type DatabaseErrorOptions,
} from "@chakra-orm/core";

/** The fields of a pg `DatabaseError` (and of Node socket errors) read here. */
interface PgErrorFields {
  message?: string;
  code?: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

type ErrorClass = new (message: string, options: DatabaseErrorOptions) => DatabaseError;

interface ErrorContext {
  /** "INSERT on users", or "Statement" when the SQL is unknown. */
  statement: string;
  table: string | undefined;
  constraint: string | undefined;
  columns: string[] | undefined;
  code: string;
  error: PgErrorFields;
}

interface ErrorMapping {
  errorClass: ErrorClass;
  message: (context: ErrorContext) => string;
}

const SQLSTATE: Record<string, ErrorMapping> = {
  "23505": {
    errorClass: UniqueViolation,
    message: (c) =>
      `${c.statement} failed: unique constraint "${c.constraint}" on ${target(c)} was violated (postgres). Catch UniqueViolation to handle a duplicate value, or write a value that is not taken.`,
  },
  "23503": {
    errorClass: ForeignKeyViolation,
    message: (c) =>
      `${c.statement} failed: foreign key constraint "${c.constraint}" on ${target(c)} was violated (postgres). The referenced row is missing, or rows still reference the row being changed. Create the referenced row first, or delete or re-point the referencing rows.`,
  },
  "23502": {
    errorClass: NotNullViolation,
    message: (c) =>
      `${c.statement} failed: column ${target(c)} is not nullable and got NULL (postgres). Pass a value, or declare the field { nullable: true }.`,
  },
  "23514": {
    errorClass: CheckViolation,
    message: (c) =>
      `${c.statement} failed: check constraint "${c.constraint}" on ${c.table ?? "the table"} was violated (postgres). Write a value that the constraint accepts.`,
  },
  "40P01": {
    errorClass: DeadlockError,
    message: (c) =>
      `${c.statement} failed: PostgreSQL detected a deadlock and chose this transaction as the victim (SQLSTATE 40P01). Retry the whole transaction, and take row locks in a consistent order to make deadlocks rarer.`,
  },
  "55P03": {
    errorClass: LockNotAvailableError,
    message: (c) =>
      `${c.statement} failed: a row is locked by another transaction and FOR UPDATE NOWAIT does not wait (postgres, SQLSTATE 55P03). Retry later, or use selectForUpdate({ skipLocked: true }) to read past locked rows.`,
  },
  "40001": {
    errorClass: SerializationError,
    message: (c) =>
      `${c.statement} failed: the transaction could not be serialized because of a concurrent transaction (postgres, SQLSTATE 40001). Retry the whole transaction.`,
  },
  "25P02": {
    errorClass: TransactionError,
    message: (c) =>
      `${c.statement} failed: the transaction was already aborted by an earlier error, so PostgreSQL ignores statements until it ends (SQLSTATE 25P02). Roll back the transaction, or wrap the failing statement in a nested db.transaction() so that only its savepoint rolls back.`,
  },
  "57014": {
    errorClass: QueryTimeoutError,
    message: (c) =>
      /statement timeout/i.test(c.error.message ?? "")
        ? `${c.statement} timed out: PostgreSQL canceled it after statement_timeout (SQLSTATE 57014). Raise the statementTimeout option, or make the query faster with an index or a narrower filter.`
        : `${c.statement} was canceled on the server (postgres, SQLSTATE 57014): ${c.error.message}.`,
  },
};

/** Node socket error codes that mean the server is unreachable or gone. */
const SOCKET_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** SQLSTATEs outside class 08 that also mean the connection is unusable. */
const CONNECTION_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);

function target(context: ErrorContext): string {
  const table = context.table ?? "the table";

  return context.columns && context.columns.length > 0
    ? `${table}(${context.columns.join(", ")})`
    : table;
}

/** Reads the column names of `Key (a, b)=(...)` in a detail, dropping the values. */
function columnsFromDetail(detail: string | undefined): string[] | undefined {
  const match = detail === undefined ? null : /^Key \((.+?)\)=\(/.exec(detail);

  return match ? match[1]!.split(", ").map((name) => name.replace(/^"|"$/g, "")) : undefined;
}

/** Names a statement by its first keyword and table, such as "INSERT on users". */
function describeStatement(query: CompiledQuery | undefined, table: string | undefined): string {
  const keyword = query ? /^\s*(\w+)/.exec(query.sql)?.[1]?.toUpperCase() : undefined;

  if (!keyword) {
    return "Statement";
  }

  return table === undefined ? `${keyword} on postgres` : `${keyword} on ${table}`;
}

function isConnectionFailure(fields: PgErrorFields, code: string): boolean {
  const message = fields.message ?? "";

  return (
    code.startsWith("08") ||
    CONNECTION_STATES.has(code) ||
    SOCKET_ERRORS.has(code) ||
    /Connection terminated|Client was closed|Client has encountered a connection error|not queryable/i.test(message)
  );
}

/**
 * Converts an error from pg into a ChakraError subclass with `code`,
 * `constraint`, `table` and `columns` set where the server reports them,
 * and the pg error as `cause`. ChakraErrors pass through unchanged.
 *
 * @example
 * translatePostgresError(pgError); // UniqueViolation for SQLSTATE 23505
 */
export function translatePostgresError(error: unknown, query?: CompiledQuery): Error {
  if (ChakraError.is(error)) {
    return error;
  }

  const fields = (typeof error === "object" && error !== null ? error : { message: String(error) }) as PgErrorFields;
  const code = fields.code ?? "";
  const columns = columnsFromDetail(fields.detail) ?? (fields.column ? [fields.column] : undefined);
  const context: ErrorContext = {
    statement: describeStatement(query, fields.table),
    table: fields.table,
    constraint: fields.constraint,
    columns,
    code,
    error: fields,
  };
  const options: DatabaseErrorOptions = {
    cause: error,
    dialect: "postgres",
    code: code === "" ? undefined : code,
    constraint: fields.constraint,
    table: fields.table,
    columns,
  };
  const mapping = SQLSTATE[code];

  if (mapping) {
    return new mapping.errorClass(mapping.message(context), options);
  }

  if (isConnectionFailure(fields, code)) {
    return new ConnectionError(
      `${context.statement} failed: the connection to PostgreSQL failed or was lost (${code || "no SQLSTATE"}: ${fields.message ?? "unknown error"}). Check that the server is running and reachable at the configured host and port; the pool replaces the broken connection.`,
      options,
    );
  }

  if (fields.message === "Query read timeout") {
    return new QueryTimeoutError(
      `${context.statement} timed out waiting for the server's response. Raise the query timeout, or check the server's load.`,
      options,
    );
  }

  if (code.startsWith("22")) {
    // Data exception messages can quote the rejected input, so the server
    // message stays on `cause` only.
    return new DatabaseError(
      `${context.statement} failed: PostgreSQL rejected a value as invalid for its column type (SQLSTATE ${code}). Read error.cause.message for the server's explanation, and check the value against the field's type.`,
      options,
    );
  }

  return new DatabaseError(
    `${context.statement} failed on postgres${code ? ` (SQLSTATE ${code})` : ""}: ${fields.message ?? "unknown error"}.`,
    options,
  );
}

/** Builds the error for a pool acquisition that ran past connectionTimeoutMillis. */
export function poolTimeoutError(
  error: unknown,
  pool: { max: number; totalCount: number; idleCount: number; waitingCount: number },
  timeoutMillis: number | undefined,
): QueryTimeoutError {
  const after = timeoutMillis === undefined ? "" : ` after ${timeoutMillis} ms`;

  return new QueryTimeoutError(
    `Acquiring a connection from the postgres pool timed out${after}: ${pool.totalCount - pool.idleCount} of max ${pool.max} connections are in use and ${pool.waitingCount} requests are waiting. Raise the pool's max option, keep transactions short, or look for code that holds a connection without releasing it.`,
    { cause: error, dialect: "postgres" },
  );
}

/** Maps mysql2 errors onto Chakra's error classes by MySQL/MariaDB error number. */
import {
  CheckViolation,
  ChakraError,
  ConnectionError,
  DatabaseError,
  DeadlockError,
  LockNotAvailableError,
  ForeignKeyViolation,
  NotNullViolation,
  QueryTimeoutError,
  UniqueViolation,
  registeredModels,
  type CompiledQuery,
  type DatabaseErrorOptions,
} from "@chakra-orm/core";

/** The fields of a mysql2 error that translation reads. */
interface MysqlDriverError {
  message?: string;
  code?: string;
  errno?: number;
  sqlMessage?: string;
  fatal?: boolean;
}

/** Socket and protocol failures that mean the connection is gone. */
const CONNECTION_CODES = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

/**
 * Server error numbers that end or refuse the connection: 1040 too many
 * connections, 1045 access denied, 1053 server shutdown, 1927 connection
 * killed (MariaDB), 2006 server gone away, 2013 connection lost during a query.
 */
const CONNECTION_ERRNOS = new Set([1040, 1045, 1053, 1927, 2006, 2013]);

/** 1062 duplicate entry, 1169 unique constraint, 1586 duplicate entry for a named key. */
const UNIQUE_ERRNOS = new Set([1062, 1169, 1586]);

/** 1451 parent row referenced, 1452 parent row missing, and their pre-5.5 forms 1216 and 1217. */
const FOREIGN_KEY_ERRNOS = new Set([1216, 1217, 1451, 1452]);

/** 1048 column cannot be null, 1364 field has no default value. */
const NOT_NULL_ERRNOS = new Set([1048, 1364]);

/** 3819 on MySQL 8, 4025 on MariaDB. */
const CHECK_ERRNOS = new Set([3819, 4025]);

/** 1969 max_statement_time on MariaDB, 3024 max_execution_time on MySQL 8. */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

const DEADLOCK_ERRNO = 1213;
const LOCK_WAIT_TIMEOUT_ERRNO = 1205;
/** MySQL 8 ER_LOCK_NOWAIT. MariaDB reports a NOWAIT lock failure as 1205 instead. */
const LOCK_NOWAIT_ERRNO = 3572;
const NOWAIT_CLAUSE = / nowait$/i;

interface ParsedMessage {
  table?: string;
  constraint?: string;
  columns?: string[];
}

function unquote(name: string): string {
  return name.replace(/^[`'"]|[`'"]$/g, "");
}

/** Reads the table a write statement targets, for messages that omit it. */
function tableOfStatement(query: CompiledQuery | undefined): string | undefined {
  const match = query && /^\s*(?:insert\s+(?:ignore\s+)?into|update|delete\s+from)\s+(?:`((?:[^`]|``)+)`|(\w+))/i.exec(query.sql);

  return match ? (match[1]?.replace(/``/g, "`") ?? match[2]) : undefined;
}

function parseUnique(message: string, query: CompiledQuery | undefined): ParsedMessage {
  // MySQL 8.0.19+ writes the key as 'table.key'; MariaDB writes 'key'.
  const match = /for key '([^']*)'/.exec(message);
  const key = match?.[1];

  if (key === undefined) {
    return { table: tableOfStatement(query) };
  }

  const dot = key.indexOf(".");

  return dot > 0
    ? { table: key.slice(0, dot), constraint: key.slice(dot + 1) }
    : { table: tableOfStatement(query), constraint: key };
}

function parseForeignKey(message: string, query: CompiledQuery | undefined): ParsedMessage {
  const match = /\(`[^`]*`\.`([^`]*)`, CONSTRAINT `([^`]*)` FOREIGN KEY \(([^)]*)\)/.exec(message);

  if (!match) {
    return { table: tableOfStatement(query) };
  }

  return {
    table: match[1],
    constraint: match[2],
    columns: match[3]!.split(",").map((name) => unquote(name.trim())),
  };
}

function parseNotNull(message: string, query: CompiledQuery | undefined): ParsedMessage {
  const match = /(?:Column|Field) '([^']*)'/.exec(message);

  return { table: tableOfStatement(query), columns: match ? [match[1]!] : undefined };
}

function parseCheck(message: string, query: CompiledQuery | undefined): ParsedMessage {
  // MariaDB: CONSTRAINT `name` failed for `db`.`table`; MySQL 8: Check constraint 'name' is violated.
  const mariadb = /CONSTRAINT `([^`]*)` failed for `[^`]*`\.`([^`]*)`/.exec(message);

  if (mariadb) {
    return { constraint: mariadb[1], table: mariadb[2] };
  }

  const mysql = /Check constraint '([^']*)'/.exec(message);

  return { constraint: mysql?.[1], table: tableOfStatement(query) };
}

/** Finds the model and field behind a table and column, for messages and error options. */
function describeTarget(parsed: ParsedMessage): { model?: string; field?: string; text: string } {
  const meta = parsed.table === undefined ? undefined : registeredModels().find((item) => item.table === parsed.table);
  const column = parsed.columns?.length === 1 ? parsed.columns[0] : undefined;
  const found = column === undefined ? undefined : meta?.columnFields.find((item) => item.column === column);
  const model = meta?.name;
  const field = found?.name;
  let text = model ?? (parsed.table === undefined ? "" : `table ${parsed.table}`);

  if (field !== undefined || column !== undefined) {
    text = text ? `${text}.${field ?? column}` : (field ?? column)!;
  }

  return { model, field, text };
}

function isMysqlDriverError(error: unknown): error is MysqlDriverError & Error {
  return typeof error === "object" && error !== null;
}

/**
 * Converts a mysql2 error into a ChakraError subclass that keeps the driver
 * error as `cause`. Constraint, table and column names are read from the
 * server's message where it contains them.
 *
 * Lock wait timeouts (1205) become QueryTimeoutError: InnoDB rolls back
 * only the waiting statement (unless innodb_rollback_on_timeout is on), so
 * the transaction stays open and the caller may retry the statement.
 * Deadlocks (1213) become DeadlockError: InnoDB has rolled back the whole
 * transaction, so the caller must retry all of it.
 */
export function translateMysqlError(error: unknown, query?: CompiledQuery): Error {
  if (ChakraError.is(error)) {
    return error;
  }

  if (!isMysqlDriverError(error)) {
    return new DatabaseError(`MySQL query failed: ${String(error)}`, { cause: error, dialect: "mysql" });
  }

  const errno = error.errno;
  const serverMessage = error.sqlMessage ?? error.message ?? "";
  const code = error.code ?? (errno === undefined ? undefined : String(errno));
  const source = `MySQL error ${errno ?? code ?? "?"}${error.code ? ` ${error.code}` : ""}: ${withoutValues(serverMessage)}`;
  const base: DatabaseErrorOptions = { cause: error, dialect: "mysql", code };

  const integrity = (parsed: ParsedMessage) => {
    const target = describeTarget(parsed);
    const options: DatabaseErrorOptions = { ...base, ...parsed, model: target.model, field: target.field };

    return { options, on: target.text ? ` on ${target.text}` : "" };
  };

  if (errno !== undefined && UNIQUE_ERRNOS.has(errno)) {
    const { options, on } = integrity(parseUnique(serverMessage, query));

    return new UniqueViolation(
      `Unique constraint ${options.constraint ?? "(unnamed)"} failed${on} (${source}). Use a different value or update the existing row.`,
      options,
    );
  }

  if (errno !== undefined && FOREIGN_KEY_ERRNOS.has(errno)) {
    const { options, on } = integrity(parseForeignKey(serverMessage, query));
    const advice = errno === 1451 || errno === 1217
      ? "Delete or reassign the rows that reference it first."
      : "Create the referenced row first or pass an existing key.";

    return new ForeignKeyViolation(`Foreign key ${options.constraint ?? "(unnamed)"} failed${on} (${source}). ${advice}`, options);
  }

  if (errno !== undefined && NOT_NULL_ERRNOS.has(errno)) {
    const { options, on } = integrity(parseNotNull(serverMessage, query));

    return new NotNullViolation(`NULL value rejected${on} (${source}). Pass a value or make the field nullable.`, options);
  }

  if (errno !== undefined && CHECK_ERRNOS.has(errno)) {
    const { options, on } = integrity(parseCheck(serverMessage, query));

    return new CheckViolation(
      `Check constraint ${options.constraint ?? "(unnamed)"} failed${on} (${source}). Pass a value the constraint accepts.`,
      options,
    );
  }

  if (errno === DEADLOCK_ERRNO) {
    return new DeadlockError(
      `Deadlock detected; the server rolled back the whole transaction (${source}). Retry the transaction.`,
      base,
    );
  }

  if (errno === LOCK_NOWAIT_ERRNO || (errno === LOCK_WAIT_TIMEOUT_ERRNO && query !== undefined && NOWAIT_CLAUSE.test(query.sql))) {
    return new LockNotAvailableError(
      `A row is locked by another transaction and FOR UPDATE NOWAIT does not wait (${source}). Retry later, or use selectForUpdate({ skipLocked: true }) to read past locked rows.`,
      base,
    );
  }

  if (errno === LOCK_WAIT_TIMEOUT_ERRNO) {
    return new QueryTimeoutError(
      `Lock wait timed out after innodb_lock_wait_timeout; the server rolled back the statement, not the transaction (${source}). Retry the statement or shorten the transaction holding the lock.`,
      base,
    );
  }

  if (errno !== undefined && STATEMENT_TIMEOUT_ERRNOS.has(errno)) {
    return new QueryTimeoutError(
      `Statement timed out (${source}). Raise statementTimeout or make the query faster.`,
      base,
    );
  }

  // mysql2 cannot read a result column named like an object property such
  // as __proto__, and closes the connection when it meets one.
  if (error.fatal === true && /can't be the same as an object's private property/.test(error.message)) {
    return new ConnectionError(
      `mysql2 cannot read a result column with this name (${source}). Rename the column with AS; the pool opens a new connection for the next query.`,
      base,
    );
  }

  if (
    (error.code !== undefined && CONNECTION_CODES.has(error.code)) ||
    (errno !== undefined && CONNECTION_ERRNOS.has(errno)) ||
    error.fatal === true
  ) {
    return new ConnectionError(
      `Connection to the MySQL server failed or was lost (${source}). Check that the server is running and reachable; the pool opens a new connection for the next query.`,
      base,
    );
  }

  return new DatabaseError(`MySQL query failed (${source}).`, base);
}

/**
 * Removes the quoted row values that MySQL puts in some messages, such as
 * "Duplicate entry 'ana@example.com' for key ...", because they can carry
 * user data. The driver error on `cause` keeps the full text.
 */
function withoutValues(message: string): string {
  return message
    .replace(/Duplicate entry '(?:[^'\\]|\\.|'')*'/g, "Duplicate entry (value hidden)")
    .replace(/Incorrect (\w+) value: '(?:[^'\\]|\\.|'')*'/g, "Incorrect $1 value (value hidden)");
}

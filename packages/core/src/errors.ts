import { inspect } from "node:util";

const CHAKRA_ERROR = Symbol.for("chakra-orm.error");

/** Formats a caller's value for an error message, cut at about 100 characters. */
export function describeValue(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Infinity });

  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

export interface ChakraErrorOptions {
  cause?: unknown;
  model?: string;
  field?: string;
  dialect?: string;
}

/**
 * Base class of every error Chakra raises. The brand makes `ChakraError.is`
 * work when the ESM and the CJS build of core are loaded in one process.
 */
export class ChakraError extends Error {
  readonly [CHAKRA_ERROR] = true;
  readonly model?: string;
  readonly field?: string;
  readonly dialect?: string;

  constructor(message: string, options: ChakraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.model = options.model;
    this.field = options.field;
    this.dialect = options.dialect;
  }

  /** Returns true for any ChakraError, from either build of the package. */
  static is(value: unknown): value is ChakraError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[CHAKRA_ERROR] === true
    );
  }
}

/** Raised by `get()` when no row matches. */
export class DoesNotExist extends ChakraError {}

/** Raised by `get()` when more than one row matches. */
export class MultipleObjectsReturned extends ChakraError {}

/** Raised before any SQL is sent when a name or a value is invalid. */
export class ValidationError extends ChakraError {
  readonly value?: unknown;

  constructor(message: string, options: ChakraErrorOptions & { value?: unknown } = {}) {
    super(message, options);
    this.value = options.value;
  }
}

export interface DatabaseErrorOptions extends ChakraErrorOptions {
  code?: string;
  constraint?: string;
  table?: string;
  columns?: string[];
}

/** Base class of errors the database server reports for a statement. */
export class DatabaseError extends ChakraError {
  readonly code?: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly columns?: string[];

  constructor(message: string, options: DatabaseErrorOptions = {}) {
    super(message, options);
    this.code = options.code;
    this.constraint = options.constraint;
    this.table = options.table;
    this.columns = options.columns;
  }
}

/** A constraint of the schema rejected a write. */
export class IntegrityError extends DatabaseError {}
export class UniqueViolation extends IntegrityError {}
export class ForeignKeyViolation extends IntegrityError {}
export class NotNullViolation extends IntegrityError {}
export class CheckViolation extends IntegrityError {}

/** A versioned save matched no row because another writer changed it first. */
export class OptimisticLockError extends ChakraError {
  /** The primary key of the row. */
  readonly id?: unknown;
  /** The version the save expected the row to have. */
  readonly expectedVersion?: unknown;

  constructor(message: string, options: ChakraErrorOptions & { id?: unknown; expectedVersion?: unknown } = {}) {
    super(message, options);
    this.id = options.id;
    this.expectedVersion = options.expectedVersion;
  }
}

/** A transaction failed to begin, commit or roll back, or was misused. */
export class TransactionError extends DatabaseError {}

/** The server chose this transaction as a deadlock victim. Retrying is safe. */
export class DeadlockError extends TransactionError {}

/** A serializable transaction conflicted with another one. Retrying is safe. */
export class SerializationError extends TransactionError {}

/** The connection to the server failed or was lost. */
export class ConnectionError extends DatabaseError {}

/** A statement or a pool acquisition ran past its time limit. */
export class QueryTimeoutError extends DatabaseError {}

/**
 * A `selectForUpdate({ nowait: true })` found a row locked by another
 * transaction. Retry later, or use `skipLocked` to read past locked rows.
 */
export class LockNotAvailableError extends DatabaseError {}

/** A relation was read before it was loaded. */
export class RelationNotLoadedError extends ChakraError {}

/** A feature is not available on the dialect in use. */
export class NotSupportedError extends ChakraError {}

/** A page number outside the paginator's range. */
export class InvalidPageError extends ChakraError {}

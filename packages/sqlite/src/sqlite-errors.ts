import {
  ChakraError,
  CheckViolation,
  ConnectionError,
  DatabaseError,
  ForeignKeyViolation,
  NotNullViolation,
  QueryTimeoutError,
  UniqueViolation,
  type CompiledQuery,
} from "@chakra-orm/core";

type ErrorClass = new (message: string, options: ConstructorParameters<typeof DatabaseError>[1]) => DatabaseError;

/** better-sqlite3 error codes (SQLite extended result codes) to Chakra classes. */
const ERROR_CLASSES: Record<string, { cls: ErrorClass; what: string; next: string }> = {
  SQLITE_CONSTRAINT_UNIQUE: { cls: UniqueViolation, what: "unique constraint", next: "Catch UniqueViolation to handle a duplicate." },
  SQLITE_CONSTRAINT_PRIMARYKEY: { cls: UniqueViolation, what: "primary key", next: "Catch UniqueViolation to handle a duplicate key." },
  SQLITE_CONSTRAINT_FOREIGNKEY: { cls: ForeignKeyViolation, what: "foreign key constraint", next: "Make sure the referenced row exists, or delete dependent rows first." },
  SQLITE_CONSTRAINT_NOTNULL: { cls: NotNullViolation, what: "not-null constraint", next: "Give the column a value or declare the field nullable." },
  SQLITE_CONSTRAINT_CHECK: { cls: CheckViolation, what: "check constraint", next: "Write a value that satisfies the check." },
  SQLITE_BUSY: { cls: QueryTimeoutError, what: "busy timeout", next: "Another connection held a write lock too long; retry, or raise busyTimeout." },
  SQLITE_BUSY_SNAPSHOT: { cls: QueryTimeoutError, what: "busy timeout", next: "Another connection wrote first; retry the transaction." },
  SQLITE_LOCKED: { cls: QueryTimeoutError, what: "table lock", next: "Retry once the other statement finishes." },
  SQLITE_CANTOPEN: { cls: ConnectionError, what: "database file", next: "Check the file path and its permissions." },
  SQLITE_NOTADB: { cls: ConnectionError, what: "database file", next: "The file is not an SQLite database; check the path." },
};

/** Reads "table.column" pairs from a constraint message such as "UNIQUE constraint failed: users.email". */
function parseColumns(message: string): { table?: string; columns?: string[] } {
  const match = /constraint failed: (.+)$/i.exec(message);

  if (!match) {
    return {};
  }

  const pairs = match[1]!.split(",").map((item) => item.trim().split("."));

  if (pairs.some((pair) => pair.length !== 2)) {
    return {};
  }

  return { table: pairs[0]![0], columns: pairs.map((pair) => pair[1]!) };
}

/** Converts a better-sqlite3 error into a ChakraError, keeping it as `cause`. */
export function translateSqliteError(error: unknown, query?: CompiledQuery): Error {
  if (ChakraError.is(error)) {
    return error;
  }

  const code = (error as { code?: string } | undefined)?.code ?? "";
  const message = (error as Error | undefined)?.message ?? String(error);
  const known = ERROR_CLASSES[code] ?? (code.startsWith("SQLITE_CONSTRAINT") ? { cls: DatabaseError as ErrorClass, what: "constraint", next: "Check the values against the table's constraints." } : undefined);
  const { table, columns } = parseColumns(message);
  const where = table ? ` on ${table}(${(columns ?? []).join(", ")})` : "";

  if (known) {
    return new known.cls(`SQLite ${known.what} failed${where}: ${message}. ${known.next}`, {
      cause: error,
      code,
      table,
      columns,
      dialect: "sqlite",
    });
  }

  const statement = query ? ` while running: ${query.sql.slice(0, 200)}` : "";

  return new DatabaseError(`SQLite error ${code || "(no code)"}: ${message}${statement}`, {
    cause: error,
    code,
    dialect: "sqlite",
  });
}

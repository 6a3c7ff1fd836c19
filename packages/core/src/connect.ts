/**
 * `connect()`: creates named databases in one call and, when a `replica`
 * is given, routes reads to it and writes to `default`.
 */
import { Database, type DatabaseOptions } from "./database.js";
import type { Dialect } from "./dialect.js";
import { ChakraError, ValidationError } from "./errors.js";

/** A dialect to open a database with, or a Database created elsewhere. */
export type Connection = Dialect | Database;

/** Connections by name. `default` is the primary, and `replica` receives routed reads. */
export interface ConnectionMap {
  default: Connection;
  replica?: Connection;
  [name: string]: Connection | undefined;
}

/** Options for every Database that `connect()` creates from a dialect. */
export type ConnectOptions = Omit<DatabaseOptions, "dialect" | "name" | "router">;

/**
 * Creates a Database for each dialect in `connections`, named after its key,
 * and makes `default` the default database. With a `replica` entry, it sets
 * a router on `default` that sends reads to the replica and writes to
 * `default`. The router rules apply, so reads inside a transaction on
 * `default` stay on `default`, and `using()` bypasses the router.
 *
 * A Database passed in is used as it is and keeps its own name. Without a
 * `replica`, the router of `default` is left unchanged.
 *
 * NOTE: outside a transaction, a read right after a write goes to the
 * replica and may not see the write until the replica catches up. Read
 * inside a transaction or with `using("default")` when that matters.
 *
 * @example
 * const { default: primary, replica } = connect({
 *   default: postgres(PRIMARY_URL),
 *   replica: postgres(REPLICA_URL),
 * });
 */
export function connect<T extends ConnectionMap>(
  connections: T,
  options: ConnectOptions = {},
): { [K in keyof T]-?: undefined extends T[K] ? Database | undefined : Database } {
  if (!isConnection(connections.default)) {
    throw new ValidationError(
      "connect(): expected a dialect or a Database under `default`, the primary database.",
    );
  }

  const entries = Object.entries(connections).filter((entry): entry is [string, Connection] => entry[1] !== undefined);

  for (const [name, connection] of entries) {
    if (!isConnection(connection)) {
      throw new ValidationError(`connect(): expected a dialect or a Database under "${name}", got ${typeof connection}.`);
    }

    if (!(connection instanceof Database) && name !== "default" && isRegistered(name)) {
      throw new ChakraError(
        `connect(): a database named "${name}" already exists. Close it first, or pass that Database under "${name}".`,
      );
    }
  }

  const databases: Record<string, Database> = {};

  for (const [name, connection] of entries) {
    databases[name] = connection instanceof Database ? connection : new Database({ ...options, dialect: connection, name });
  }

  const primary = (databases.default as Database).setDefault();
  const replica = databases.replica;

  if (replica) {
    // Returning the Database objects, not names, keeps the router pointing
    // at these databases even if the names are registered again later.
    primary.router = {
      dbForRead: () => replica,
      dbForWrite: () => primary,
    };
  }

  return databases as { [K in keyof T]-?: undefined extends T[K] ? Database | undefined : Database };
}

function isConnection(value: unknown): value is Connection {
  return (
    value instanceof Database ||
    (typeof value === "object" && value !== null && "driver" in value && "compiler" in value)
  );
}

function isRegistered(name: string): boolean {
  try {
    Database.get(name);

    return true;
  } catch {
    return false;
  }
}

/**
 * Database routing: which named database a query or a save runs on when
 * the caller does not pick one with `using()`.
 */
import { Database, resolveDatabase } from "./database.js";
import { stateOf, type Model, type ModelClass } from "./model.js";

/** Extra facts a router may use to choose. */
export interface RoutingHints {
  /** The instance being saved or deleted, for instance writes. */
  instance?: Model;
}

/**
 * Chooses databases per model. Set it on the default database as
 * `db.router = {...}`. A method that returns undefined, or is missing,
 * leaves the choice to the default database. Rules:
 * - `using()` on a QuerySet and `save({ using })` bypass the router.
 * - While the write database of a model is in a transaction, reads of that
 *   model go to the write database too, so a transaction reads its own
 *   writes.
 *
 * @example
 * primary.router = {
 *   dbForRead: () => "replica",
 *   dbForWrite: () => "primary",
 * };
 */
export interface DatabaseRouter {
  dbForRead?(model: ModelClass, hints: RoutingHints): Database | string | undefined;
  dbForWrite?(model: ModelClass, hints: RoutingHints): Database | string | undefined;
}

/** @internal Returns the database a read of `model` runs on. */
export function readDatabase(model: ModelClass, explicit: Database | string | undefined): Database {
  if (explicit !== undefined) {
    return resolveDatabase(explicit);
  }

  const base = Database.get();
  const router = base.router;

  if (!router) {
    return base;
  }

  const write = routed(router.dbForWrite?.(model, {}), base);

  if (write.inTransaction) {
    return write;
  }

  return routed(router.dbForRead?.(model, {}), base);
}

/**
 * @internal Returns the database a write of `model` runs on. Without a
 * router choice, an instance write goes to the database the instance was
 * read from or last saved to.
 */
export function writeDatabase(model: ModelClass, explicit: Database | string | undefined, instance?: Model): Database {
  if (explicit !== undefined) {
    return resolveDatabase(explicit);
  }

  const base = Database.get();
  const choice = base.router?.dbForWrite?.(model, { instance });

  if (choice !== undefined) {
    return resolveDatabase(choice);
  }

  return (instance ? stateOf(instance).db : undefined) ?? base;
}

function routed(choice: Database | string | undefined, base: Database): Database {
  return choice === undefined ? base : resolveDatabase(choice);
}

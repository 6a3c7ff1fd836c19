/**
 * Saving and deleting one instance with its hooks. A save or delete whose
 * model has before or after hooks runs in a transaction (a savepoint when
 * one is open), so a throwing hook undoes the write together with what
 * other hooks wrote, such as audit log entries.
 */
import type { Database } from "./database.js";
import { ValidationError } from "./errors.js";
import { hasHooks, runHooks, type DeleteEvent, type SaveEvent } from "./hooks.js";
import { stateOf, type Model, type ModelClass } from "./model.js";
import { insertInstance, updateInstance } from "./persistence.js";
import { QuerySet } from "./queryset.js";
import { writeDatabase } from "./router.js";
import { takeSnapshot } from "./snapshot.js";

/** Options of `save()`. */
export interface SaveOptions {
  /** Writes to this database instead of the routed one. */
  using?: Database;
  /** Updates only these fields (onUpdate and version fields are written too). */
  fields?: string[];
}

/** Options of `delete()`, `hardDelete()` and `restore()`. */
export interface DeleteOptions {
  using?: Database;
}

function modelOf(instance: Model): ModelClass {
  return instance.constructor as ModelClass;
}

async function inTransactionIf<T>(needed: boolean, db: Database, fn: () => Promise<T>): Promise<T> {
  return needed ? db.transaction(fn) : fn();
}

/** Inserts or updates the instance, running the save hooks around the write. */
export async function saveInstance(instance: Model, options: SaveOptions = {}): Promise<void> {
  const model = modelOf(instance);
  const db = options.using ?? writeDatabase(model, undefined, instance);
  const created = stateOf(instance).adding;
  const event: SaveEvent = { created, db, fields: options.fields };
  const wrap = hasHooks(model, ["beforeSave", "afterSave"]);

  await inTransactionIf(wrap, db, async () => {
    await runHooks("beforeSave", instance, event);

    if (created) {
      await insertInstance(db, instance);
    } else {
      await updateInstance(db, instance, options.fields);
    }

    await runHooks("afterSave", instance, event);
    takeSnapshot(instance);
    await scheduleAfterCommit(instance, db, created ? "insert" : "update");
  });
}

/**
 * Deletes the instance through `write`, running the delete hooks around
 * it, and returns what `write` returns (the number of rows affected).
 */
export async function deleteInstance(
  instance: Model,
  options: DeleteOptions,
  soft: boolean,
  write: (db: Database) => Promise<number>,
): Promise<number> {
  const model = modelOf(instance);
  const meta = model.$meta;

  if (instance.pk === undefined || instance.pk === null) {
    throw new ValidationError(
      `${meta.name}.delete(): the instance has no primary key value. Save it before deleting it.`,
      { model: meta.name },
    );
  }

  const db = options.using ?? writeDatabase(model, undefined, instance);
  const event: DeleteEvent = { db, soft };
  const wrap = hasHooks(model, ["beforeDelete", "afterDelete"]);

  return inTransactionIf(wrap, db, async () => {
    await runHooks("beforeDelete", instance, event);
    const deleted = await write(db);
    await runHooks("afterDelete", instance, event);
    takeSnapshot(instance);
    await scheduleAfterCommit(instance, db, soft ? "softDelete" : "delete");

    return deleted;
  });
}

/** Deletes the instance's row, soft-deleted or not, with the delete hooks. */
export async function hardDeleteInstance(instance: Model, options: DeleteOptions = {}): Promise<number> {
  const model = modelOf(instance);
  const pk = model.$meta.pk.name;

  const deleted = await deleteInstance(instance, options, false, (db) =>
    new QuerySet(model, db).withDeleted().filter({ [pk]: instance.pk } as never).hardDelete(),
  );
  stateOf(instance).adding = true;

  return deleted;
}

async function scheduleAfterCommit(
  instance: Model,
  db: Database,
  action: "insert" | "update" | "delete" | "softDelete",
): Promise<void> {
  if (!hasHooks(modelOf(instance), ["afterCommit"])) {
    return;
  }

  // Runs at once outside a transaction; dropped when the transaction rolls back.
  await db.onCommit(() => runHooks("afterCommit", instance, { db, action }));
}

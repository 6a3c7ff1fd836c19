/**
 * Audit fields and the audit log.
 *
 * - `Audit` is an abstract model that fills createdAt, createdBy, updatedAt
 *   and updatedBy from the clock and from `currentContext().actor`.
 * - `trackChanges(Model)` writes one AuditLogEntry (table chakra_audit_log)
 *   per insert, update, soft delete and delete of an instance, with the
 *   changed fields' old and new values. The entry is written by hooks
 *   inside the same transaction as the change, so a rolled-back change
 *   leaves no entry.
 *
 * NOTE: bulk writes (bulkCreate, bulkUpdate, upsert, QuerySet.update and
 * QuerySet.delete) run no hooks, so they leave no audit log entries.
 */
import { currentContext } from "./context.js";
import { field } from "./fields.js";
import { addModelHook, type SaveEvent } from "./hooks.js";
import { Model, manager, type ModelClass } from "./model.js";
import { insertInstances } from "./persistence.js";
import { changedFields, trackSnapshots, type FieldChange } from "./snapshot.js";

/** Returns the current actor as stored in the audit fields, or null. */
export function currentActor(): string | null {
  const actor = currentContext().actor;

  return actor === undefined || actor === null ? null : String(actor);
}

/**
 * An abstract model with who-and-when fields. `createdBy` and `updatedBy`
 * hold the context's actor as a string (null outside `withContext()`).
 * `updatedAt` and `updatedBy` are rewritten on every save and on
 * `QuerySet.update()`.
 *
 * @example
 * class Invoice extends Model.define("invoices", { id: field.id(), total: field.integer() }, [Audit]) {
 *   static objects = manager(this);
 * }
 * await withContext({ actor: "ana" }, () => Invoice.objects.create({ total: 10 }));
 */
// The field options type a default as the non-null value type, even on a
// nullable field, so the actor factory needs a cast. It returns null
// outside withContext(), and the nullable column stores that.
const actorDefault = currentActor as () => string;

export const Audit = Model.abstract({
  createdAt: field.dateTime({ default: () => new Date() }),
  createdBy: field.string({ maxLength: 100, nullable: true, default: actorDefault }),
  updatedAt: field.dateTime({ default: () => new Date(), onUpdate: () => new Date() }),
  updatedBy: field.string({ maxLength: 100, nullable: true, default: actorDefault, onUpdate: actorDefault }),
});

/** The kind of change an audit log entry records. */
export type AuditAction = "insert" | "update" | "softDelete" | "delete";

const ACTIONS = ["insert", "update", "softDelete", "delete"] as const;

function defineAuditLog() {
  return class AuditLogEntry extends Model.define(
    "chakra_audit_log",
    {
      id: field.id(),
      /** The model's class name, such as "Post". */
      model: field.string({ maxLength: 100 }),
      /** The primary key of the changed row, as a string. */
      objectId: field.string({ maxLength: 100 }),
      action: field.enum(ACTIONS),
      actor: field.string({ maxLength: 100, nullable: true }),
      tenant: field.string({ maxLength: 100, nullable: true }),
      at: field.dateTime({ default: () => new Date() }),
      /** Changed fields: `{ title: { old: "a", new: "b" } }`, values JSON-safe. */
      changes: field.json<Record<string, FieldChange>>({ default: () => ({}) }),
    },
    { ordering: ["id"], indexes: [{ fields: ["model", "objectId"] }] },
  ) {
    static objects = manager(this);
  };
}

/** The audit log model class. */
export type AuditLogEntryModel = ReturnType<typeof defineAuditLog>;

const LOG_SLOT = Symbol.for("chakra-orm.audit-log-model");

/**
 * Returns the AuditLogEntry model (table chakra_audit_log), defining it on
 * the first call. It is defined lazily so that applications without an
 * audit log get no extra table from `createTables()`. `trackChanges()`
 * calls it, so call that before creating tables or migrations.
 *
 * @example
 * const entries = await auditLogModel().objects.filter({ model: "Post", objectId: String(post.id) }).all();
 */
export function auditLogModel(): AuditLogEntryModel {
  const slot = globalThis as unknown as Record<symbol, AuditLogEntryModel | undefined>;
  slot[LOG_SLOT] ??= defineAuditLog();

  return slot[LOG_SLOT];
}

/** Options of `trackChanges()`. */
export interface TrackChangesOptions {
  /** Attribute names left out of `changes`, such as a password hash. */
  exclude?: readonly string[];
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value.toString();
  }

  if (value instanceof Date) {
    return value.toISOString();
  }

  if (value instanceof Uint8Array) {
    return Buffer.from(value).toString("base64");
  }

  return value ?? null;
}

function safeChanges(changes: Record<string, FieldChange>, exclude: ReadonlySet<string>): Record<string, FieldChange> {
  const result: Record<string, FieldChange> = {};

  for (const [key, change] of Object.entries(changes)) {
    if (!exclude.has(key)) {
      result[key] = { old: jsonSafe(change.old), new: jsonSafe(change.new) };
    }
  }

  return result;
}

async function writeEntry(
  instance: Model,
  db: SaveEvent["db"],
  action: AuditAction,
  changes: Record<string, FieldChange>,
): Promise<void> {
  const Entry = auditLogModel();
  const context = currentContext();
  const entry = new Entry({
    model: (instance.constructor as ModelClass).$meta.name,
    objectId: String(instance.pk),
    action,
    actor: currentActor(),
    tenant: context.tenant === undefined || context.tenant === null ? null : String(context.tenant),
    changes,
  });

  // A plain insert, so the entry itself runs no hooks.
  await insertInstances(db, Entry.$meta, [entry]);
}

/** Attribute names that every save rewrites: onUpdate and version fields. */
function automaticFields(instance: Model): Set<string> {
  const meta = (instance.constructor as ModelClass).$meta;

  return new Set(
    meta.columnFields
      .filter((item) => item.options.onUpdate !== undefined || item.kind === "version")
      .map((item) => item.name),
  );
}

/** The fields a save wrote: the named ones plus onUpdate and version fields. */
function writtenFields(instance: Model, event: SaveEvent): Set<string> | undefined {
  if (!event.fields) {
    return undefined;
  }

  const meta = (instance.constructor as ModelClass).$meta;
  const written = new Set(event.fields);

  for (const item of meta.columnFields) {
    if (item.options.onUpdate !== undefined || item.kind === "version") {
      written.add(item.name);
    }
  }

  return written;
}

/**
 * Records every insert, update, soft delete and delete of `model`'s
 * instances in the audit log, and returns a function that stops it.
 * Instances keep a snapshot of their loaded values from now on, which the
 * log compares against. A save that changes only onUpdate fields (such as
 * updatedAt), version fields or excluded fields writes no entry.
 *
 * @example
 * trackChanges(Post, { exclude: ["body"] });
 * await withContext({ actor: "ana" }, async () => {
 *   post.title = "New title";
 *   await post.save();   // one entry: { title: { old: "Old", new: "New title" } }
 * });
 */
export function trackChanges<C extends ModelClass<any>>(model: C, options: TrackChangesOptions = {}): () => void {
  const exclude = new Set(options.exclude ?? []);
  auditLogModel();
  trackSnapshots(model);

  const offSave = addModelHook(model, "afterSave", async (instance, event) => {
    const changes = safeChanges(changedFields(instance, writtenFields(instance, event)), exclude);
    const automatic = automaticFields(instance);

    // A save that changed only onUpdate and version fields logs nothing.
    if (!event.created && Object.keys(changes).every((key) => automatic.has(key))) {
      return;
    }

    await writeEntry(instance, event.db, event.created ? "insert" : "update", changes);
  });

  const offDelete = addModelHook(model, "afterDelete", async (instance, event) => {
    const changes = event.soft
      ? safeChanges(changedFields(instance, new Set(["deletedAt"])), exclude)
      : {};

    await writeEntry(instance, event.db, event.soft ? "softDelete" : "delete", changes);
  });

  return () => {
    offSave();
    offDelete();
  };
}

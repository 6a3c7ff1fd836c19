/**
 * Snapshots of loaded column values, so a save can tell which fields
 * changed and what they held before. Only models passed to
 * `trackSnapshots()` pay for them: one array per loaded or saved instance.
 */
import type { ModelMeta } from "./model-meta.js";
import { attributeName, type Model, type ModelClass } from "./model.js";

const TRACKED_SLOT = Symbol.for("chakra-orm.snapshot-models");
const SNAPSHOTS_SLOT = Symbol.for("chakra-orm.snapshots");

function slot<T>(key: symbol, create: () => T): T {
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  store[key] ??= create();

  return store[key];
}

function trackedModels(): WeakSet<ModelMeta> {
  return slot(TRACKED_SLOT, () => new WeakSet<ModelMeta>());
}

function snapshots(): WeakMap<Model, readonly unknown[]> {
  return slot(SNAPSHOTS_SLOT, () => new WeakMap<Model, readonly unknown[]>());
}

/** One changed field: its value when loaded and its value now. */
export interface FieldChange {
  old: unknown;
  new: unknown;
}

/** Makes instances of `model` keep a snapshot of their loaded values. */
export function trackSnapshots(model: ModelClass): void {
  trackedModels().add(model.$meta);
}

/** @internal True when instances of `meta` keep snapshots. */
export function isTracked(meta: ModelMeta): boolean {
  return trackedModels().has(meta);
}

// Dates and JSON values are mutable, so the snapshot keeps copies.
function copyValue(value: unknown): unknown {
  if (value instanceof Date) {
    return new Date(value.getTime());
  }

  if (value !== null && typeof value === "object") {
    return structuredClone(value);
  }

  return value;
}

/** @internal Records the instance's column values as its loaded state. */
export function takeSnapshot(instance: Model): void {
  const meta = (instance.constructor as ModelClass).$meta;

  if (!isTracked(meta)) {
    return;
  }

  const source = instance as unknown as Record<string, unknown>;
  snapshots().set(instance, meta.columnFields.map((item) => copyValue(source[attributeName(item)])));
}

/** @internal Gives `target` the snapshot of `source`, after a refresh. */
export function copySnapshot(source: Model, target: Model): void {
  const values = snapshots().get(source);

  if (values) {
    snapshots().set(target, values);
  }
}

function sameValue(left: unknown, right: unknown): boolean {
  if (left instanceof Date && right instanceof Date) {
    return left.getTime() === right.getTime();
  }

  if (left instanceof Uint8Array && right instanceof Uint8Array) {
    return Buffer.from(left).equals(Buffer.from(right));
  }

  if (left !== null && right !== null && typeof left === "object" && typeof right === "object") {
    return JSON.stringify(left) === JSON.stringify(right);
  }

  return left === right;
}

/**
 * Returns the fields whose values differ from the snapshot, keyed by
 * attribute name (`authorId` for a foreign key). An instance without a
 * snapshot (new, or of an untracked model) reports every non-null field
 * with `old: null`.
 */
export function changedFields(instance: Model, only?: ReadonlySet<string>): Record<string, FieldChange> {
  const meta = (instance.constructor as ModelClass).$meta;
  const before = snapshots().get(instance);
  const source = instance as unknown as Record<string, unknown>;
  const changes: Record<string, FieldChange> = {};

  meta.columnFields.forEach((item, index) => {
    const key = attributeName(item);

    if (only && !only.has(key) && !only.has(item.name)) {
      return;
    }

    const now = source[key];
    const old = before ? before[index] : null;

    if (!sameValue(old ?? null, now ?? null)) {
      changes[key] = { old: old ?? null, new: now ?? null };
    }
  });

  return changes;
}

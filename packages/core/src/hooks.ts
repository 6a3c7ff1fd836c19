/**
 * Lifecycle hooks: functions that run around `save()` and `delete()` of
 * one instance, per model or for every model.
 *
 * Which operations run hooks:
 * - `instance.save()`, `Model.objects.create()`, `getOrCreate()` and
 *   `updateOrCreate()` run beforeSave, afterSave and afterCommit.
 * - `instance.delete()` runs beforeDelete, afterDelete and afterCommit. On
 *   a SoftDelete model it runs them with `event.soft === true`, and
 *   `hardDelete()` runs them with `soft === false`.
 * - Bulk and set-based writes run no hooks: `bulkCreate`, `bulkUpdate`,
 *   `upsert`, `QuerySet.update()`, `QuerySet.delete()` and
 *   `QuerySet.hardDelete()`. They write many rows in few statements and
 *   never build the instances a hook would receive.
 */
import type { Database } from "./database.js";
import type { ModelMeta } from "./model-meta.js";
import type { Model, ModelClass } from "./model.js";

/** The event a save hook receives. */
export interface SaveEvent {
  /** True when the save inserts the row, false when it updates it. */
  created: boolean;
  /** The database the row is written to. */
  db: Database;
  /** The fields passed to `save({ fields })`, or undefined for all fields. */
  fields: readonly string[] | undefined;
}

/** The event a delete hook receives. */
export interface DeleteEvent {
  db: Database;
  /** True when a SoftDelete model only sets `deletedAt`. */
  soft: boolean;
}

/** The event an afterCommit hook receives. */
export interface CommitEvent {
  db: Database;
  action: "insert" | "update" | "delete" | "softDelete";
}

/** Hook names and the event each one receives. */
export interface HookEvents {
  beforeSave: SaveEvent;
  afterSave: SaveEvent;
  beforeDelete: DeleteEvent;
  afterDelete: DeleteEvent;
  afterCommit: CommitEvent;
}

export type HookName = keyof HookEvents;

/** A hook function; it may return a promise, which is awaited. */
export type Hook<M, K extends HookName> = (instance: M, event: HookEvents[K]) => unknown;

/**
 * Hooks declared on a model class as `static hooks: ModelHooks<Post> = {...}`.
 */
export type ModelHooks<M> = { [K in HookName]?: Hook<M, K> };

type AnyHook = (instance: Model, event: unknown) => unknown;

type HookLists = Map<HookName, AnyHook[]>;

const GLOBAL_SLOT = Symbol.for("chakra-orm.global-hooks");
const MODEL_SLOT = Symbol.for("chakra-orm.model-hooks");

function globalHooks(): HookLists {
  const slot = globalThis as unknown as Record<symbol, HookLists | undefined>;
  slot[GLOBAL_SLOT] ??= new Map();

  return slot[GLOBAL_SLOT];
}

function modelHooks(): WeakMap<ModelMeta, HookLists> {
  const slot = globalThis as unknown as Record<symbol, WeakMap<ModelMeta, HookLists> | undefined>;
  slot[MODEL_SLOT] ??= new WeakMap();

  return slot[MODEL_SLOT];
}

function addTo(lists: HookLists, name: HookName, hook: AnyHook): () => void {
  checkName(name);
  const list = lists.get(name) ?? [];
  list.push(hook);
  lists.set(name, list);

  return () => {
    const index = list.indexOf(hook);

    if (index >= 0) {
      list.splice(index, 1);
    }
  };
}

const NAMES: readonly HookName[] = ["beforeSave", "afterSave", "beforeDelete", "afterDelete", "afterCommit"];

function checkName(name: string): void {
  if (!(NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`Unknown hook "${name}". Hooks are ${NAMES.join(", ")}.`);
  }
}

/** @internal Registers a hook for one model; `Model.on()` calls it. */
export function addModelHook<K extends HookName>(model: ModelClass, name: K, hook: Hook<Model, K>): () => void {
  const registry = modelHooks();
  let lists = registry.get(model.$meta);

  if (!lists) {
    lists = new Map();
    registry.set(model.$meta, lists);
  }

  return addTo(lists, name, hook as AnyHook);
}

/**
 * Hooks for every model. Each `on()` returns a function that removes the
 * hook again.
 *
 * @example
 * const off = hooks.on("afterSave", (instance, { created }) => {
 *   metrics.increment(created ? "rows.inserted" : "rows.updated");
 * });
 */
export const hooks = {
  on<K extends HookName>(name: K, hook: Hook<Model, K>): () => void {
    return addTo(globalHooks(), name, hook as AnyHook);
  },
};

/**
 * Returns the hooks for `name` on the instance's model, in run order: the
 * class's `static hooks` object, then hooks added with `Model.on()`, then
 * global hooks.
 */
function collect(model: ModelClass, name: HookName): AnyHook[] {
  const found: AnyHook[] = [];
  const declared = (model as unknown as { hooks?: Record<string, unknown> }).hooks;
  const own = declared?.[name];

  if (typeof own === "function") {
    found.push((instance, event) => (own as AnyHook).call(declared, instance, event));
  }

  found.push(...(modelHooks().get(model.$meta)?.get(name) ?? []));
  found.push(...(globalHooks().get(name) ?? []));

  return found;
}

/** @internal True when any of `names` has a hook for the model. */
export function hasHooks(model: ModelClass, names: readonly HookName[]): boolean {
  return names.some((name) => collect(model, name).length > 0);
}

/** @internal Runs the hooks for `name` one after another, awaiting each. */
export async function runHooks<K extends HookName>(name: K, instance: Model, event: HookEvents[K]): Promise<void> {
  for (const hook of collect(instance.constructor as ModelClass, name)) {
    await hook(instance, event);
  }
}

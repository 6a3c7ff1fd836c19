import {
  ChakraError,
  DoesNotExist,
  RelationNotLoadedError,
  ValidationError,
  describeValue,
} from "./errors.js";
import {
  ForeignKeyField,
  ManyToManyField,
  ReverseField,
  type Field,
  type FieldMap,
} from "./fields.js";
import { ModelMeta, registerMeta, type ModelOptions } from "./model-meta.js";
import type { Database } from "./database.js";
import { QuerySet } from "./queryset.js";
import { RelatedSet } from "./related.js";
import { validateValue } from "./validate.js";
import type { CreateInput, InstanceData, RelationName } from "./types.js";
import { instanceDatabase, loadRelation } from "./loading.js";
import { hardDeleteInstance, saveInstance, type DeleteOptions, type SaveOptions } from "./lifecycle.js";
import { addModelHook, type Hook, type HookName } from "./hooks.js";
import { copySnapshot } from "./snapshot.js";

const MODEL_BRAND = Symbol.for("chakra-orm.model");

/** Per-instance bookkeeping, kept under a symbol so it stays out of JSON. */
export const STATE = Symbol.for("chakra-orm.instance-state");

/**
 * Returns an instance's bookkeeping. It lives under a symbol that the
 * public type leaves out, so declaration files of user models never need
 * to name it.
 */
export function stateOf(instance: Model): InstanceState {
  return (instance as unknown as Record<symbol, InstanceState>)[STATE]!;
}

/** Passed to a constructor by the hydrator to skip defaults. */
export const HYDRATING = Symbol.for("chakra-orm.hydrating");

export interface InstanceState {
  /** True until the instance has been inserted. */
  adding: boolean;
  /** The database the instance was read from or saved to. */
  db: Database | undefined;
  /** Loaded relations by name. A many-valued relation maps to an array. */
  related: Map<string, unknown>;
  /** The result set the instance came from, for batched relation loads. */
  peers: Model[] | undefined;
  /** "raise" makes a load of an unloaded relation throw. */
  relationMode: "lazy" | "raise";
  /** Relation sets handed out by accessors, created once per instance. */
  sets: Map<string, RelatedSet<Model>> | undefined;
}

/** A concrete model class, as the runtime uses it. */
export interface ModelClass<M extends Model = Model> {
  new (data?: any): M;
  readonly $meta: ModelMeta;
  readonly name: string;
  readonly prototype: M;
}

/** An abstract model: fields plus an optional class factory. */
export interface AbstractModel<F extends FieldMap, R = unknown> {
  readonly fields: F;
  readonly factory: ((base: any) => R) | undefined;
}

// An abstract model without a factory contributes the empty object type,
// not `unknown`: `unknown` in a union absorbs the other members, so one
// field-only abstract model hid every other one's methods and statics.
type MixinInstance<A> = A extends AbstractModel<any, infer R>
  ? R extends abstract new (...args: any) => infer I
    ? I
    : Record<never, never>
  : Record<never, never>;

type MixinStatics<A> = A extends AbstractModel<any, infer R>
  ? R extends abstract new (...args: any) => any
    ? Omit<R, "prototype">
    : Record<never, never>
  : Record<never, never>;

type UnionToIntersection<U> = (U extends any ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;

type MixinFields<A extends readonly AbstractModel<any, any>[]> = UnionToIntersection<
  A[number] extends AbstractModel<infer F, any> ? F : never
>;

type AllFields<
  F extends FieldMap,
  A extends readonly AbstractModel<any, any>[],
> = [A[number]] extends [never] ? F : MixinFields<A> & F;

/** The class `Model.define` returns: extend it to add getters and methods. */
export type DefinedModel<
  F extends FieldMap,
  A extends readonly AbstractModel<any, any>[],
> = {
  new (
    data?: CreateInput<AllFields<F, A>>,
  ): Model<AllFields<F, A>> &
    InstanceData<AllFields<F, A>> &
    UnionToIntersection<MixinInstance<A[number]>>;
  readonly $meta: ModelMeta;
  /** Registers a hook for this model; see `Model.on`. */
  on: (typeof Model)["on"];
} & UnionToIntersection<MixinStatics<A[number]>>;

/** The class an abstract model's factory receives: the fields are typed on it. */
export type AbstractBase<F extends FieldMap> = {
  new (...args: any[]): Model<F> & InstanceData<F>;
  readonly $meta: ModelMeta;
};

/**
 * Base class of every model. Define models with `Model.define()` and give
 * each class a manager line: `static objects = manager(this)`.
 */
export class Model<F extends FieldMap = FieldMap> {
  declare static readonly $meta: ModelMeta;
  /** The field map, for type inference only. It is undefined at run time. */
  declare readonly $fields: F;

  static readonly [MODEL_BRAND] = true;

  constructor(data?: unknown) {
    const meta = (this.constructor as ModelClass).$meta;
    (this as unknown as Record<symbol, InstanceState>)[STATE] = {
      adding: true,
      db: undefined,
      related: new Map(),
      peers: undefined,
      relationMode: "lazy",
      sets: undefined,
    };

    if (data === HYDRATING) {
      return;
    }

    assignInitial(this, meta, (data ?? {}) as Record<string, unknown>);
  }

  /** Returns true for a model class from either build of the package. */
  static isModelClass(value: unknown): value is ModelClass {
    return (
      typeof value === "function" &&
      (value as unknown as Record<symbol, unknown>)[MODEL_BRAND] === true &&
      (value as { $meta?: unknown }).$meta !== undefined
    );
  }

  /**
   * Builds the base class of a model from a table name, a field map and
   * optional abstract models whose fields and methods it takes on.
   *
   * @example
   * class User extends Model.define("users", {
   *   id: field.id(),
   *   username: field.string({ maxLength: 50, unique: true }),
   * }) {
   *   static objects = manager(this);
   * }
   */
  // Two overloads, because with one `abstracts?: A | ModelOptions`
  // parameter an options object in third place was inferred as `A` and
  // turned every field type into `any`.
  static define<const F extends FieldMap>(
    table: string,
    fields: F,
    options?: ModelOptions,
  ): DefinedModel<F, []>;
  static define<
    const F extends FieldMap,
    const A extends readonly AbstractModel<any, any>[],
  >(
    table: string,
    fields: F,
    abstracts: A,
    options?: ModelOptions,
  ): DefinedModel<F, A>;
  static define<
    const F extends FieldMap,
    const A extends readonly AbstractModel<any, any>[] = [],
  >(
    table: string,
    fields: F,
    abstracts?: A | ModelOptions,
    options?: ModelOptions,
  ): DefinedModel<F, A> {
    const mixins = Array.isArray(abstracts) ? (abstracts as A) : ([] as unknown as A);
    const modelOptions = ((Array.isArray(abstracts) ? options : abstracts) ?? {}) as ModelOptions;
    const merged: FieldMap = {};

    for (const mixin of mixins) {
      Object.assign(merged, mixin.fields);
    }

    Object.assign(merged, fields);
    const meta = new ModelMeta(table, merged, modelOptions);

    class Defined extends Model {
      static override readonly $meta = meta;
    }

    Object.defineProperty(Defined, "name", { value: pascalCase(table) });
    installAccessors(Defined.prototype, meta);
    let cls: ModelClass = Defined as unknown as ModelClass;

    for (const mixin of mixins) {
      if (mixin.factory) {
        cls = mixin.factory(cls) as ModelClass;
      }
    }

    meta.cls = cls;

    for (const item of meta.fields) {
      item.model = cls;
    }

    registerMeta(meta);

    return cls as unknown as DefinedModel<F, A>;
  }

  /**
   * Declares an abstract model: fields that land in each concrete table,
   * plus an optional factory that adds instance and static methods.
   *
   * @example
   * const SoftDelete = Model.abstract(
   *   { deletedAt: field.dateTime({ nullable: true }) },
   *   (Base) => class extends Base {
   *     get isDeleted() { return this.deletedAt !== null; }
   *   },
   * );
   */
  static abstract<const F extends FieldMap, R = undefined>(
    fields: F,
    factory?: (base: AbstractBase<F>) => R,
  ): AbstractModel<F, R> {
    return { fields, factory: factory as ((base: any) => R) | undefined };
  }

  /** The primary key value. */
  get pk(): unknown {
    return (this as unknown as Record<string, unknown>)[
      (this.constructor as ModelClass).$meta.pk.name
    ];
  }

  /**
   * Registers a hook for this model and returns a function that removes
   * it. See hooks.ts for which operations run hooks.
   *
   * @example
   * Post.on("beforeSave", (post, { created }) => { if (created) post.slug = slugify(post.title); });
   */
  static on<C extends ModelClass<any>, K extends HookName>(
    this: C,
    name: K,
    hook: Hook<InstanceType<C>, K>,
  ): () => void {
    return addModelHook(this, name, hook as never);
  }

  /**
   * Inserts the instance if it is new, otherwise updates its row, and runs
   * the save hooks. A model with a `field.version()` raises
   * OptimisticLockError when another writer saved the row first.
   */
  async save(options: SaveOptions = {}): Promise<this> {
    await saveInstance(this, options);

    return this;
  }

  /**
   * Deletes the instance's row and runs the delete hooks; the instance
   * keeps its values. SoftDelete models override it to set `deletedAt`.
   */
  async delete(options: DeleteOptions = {}): Promise<number> {
    return hardDeleteInstance(this, options);
  }

  /** Reloads every column attribute from the database. */
  async refresh(): Promise<this> {
    const meta = (this.constructor as ModelClass).$meta;
    const db = instanceDatabase(this);
    const fresh = await new QuerySet(meta.cls, db)
      .withDeleted()
      .filter({ [meta.pk.name]: this.pk } as never)
      .first();

    if (!fresh) {
      throw new DoesNotExist(
        `${meta.name}.refresh(): no row with ${meta.pk.name} ${describeValue(this.pk)} exists any more.`,
        { model: meta.name },
      );
    }

    const target = this as unknown as Record<string, unknown>;
    const source = fresh as unknown as Record<string, unknown>;

    for (const item of meta.columnFields) {
      const key = attributeName(item);
      target[key] = source[key];
    }

    stateOf(this).related.clear();
    copySnapshot(fresh, this);

    return this;
  }

  /**
   * Loads a relation (forward, reverse or many-to-many). By default it loads
   * the same relation for every instance of the result set in one query;
   * under `relationLoading("raise")` it throws instead.
   */
  async load<K extends RelationName<F>>(name: K): Promise<unknown> {
    return loadRelation(this, name);
  }

  /** Returns the column attributes as a plain object (FKs as `authorId`). */
  toDict(): Record<string, unknown> {
    const meta = (this.constructor as ModelClass).$meta;
    const source = this as unknown as Record<string, unknown>;
    const result: Record<string, unknown> = {};

    for (const item of meta.columnFields) {
      const key = attributeName(item);
      result[key] = source[key];
    }

    return result;
  }

  /**
   * Returns a JSON-safe object: dates as ISO strings, bigints as strings,
   * binary as base64, and loaded relations nested.
   */
  toJSON(): Record<string, unknown> {
    const result: Record<string, unknown> = {};

    for (const [key, value] of Object.entries(this.toDict())) {
      result[key] = jsonSafe(value);
    }

    for (const [name, value] of stateOf(this).related) {
      result[name] = jsonSafe(value);
    }

    return result;
  }
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value.toString();
  }

  if (value instanceof Uint8Array) {
    return Buffer.from(value).toString("base64");
  }

  if (value instanceof Model) {
    return value.toJSON();
  }

  if (Array.isArray(value)) {
    return value.map(jsonSafe);
  }

  return value;
}

/** Returns the instance attribute that contains a field's column value. */
export function attributeName(item: Field): string {
  return item instanceof ForeignKeyField ? `${item.name}Id` : item.name;
}

function pascalCase(table: string): string {
  return table
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function assignInitial(
  instance: Model,
  meta: ModelMeta,
  data: Record<string, unknown>,
): void {
  const target = instance as unknown as Record<string, unknown>;

  for (const key of Object.keys(data)) {
    const known = meta.field(key);

    if (!known || !known.hasColumn) {
      throw new ValidationError(
        `new ${meta.name}(): unknown field "${key}". ${meta.name}'s fields are ${meta.columnFields.map(attributeName).join(", ")}. Check the spelling.`,
        { model: meta.name, field: key },
      );
    }
  }

  for (const item of meta.columnFields) {
    if (item instanceof ForeignKeyField) {
      const idKey = `${item.name}Id`;

      if (data[item.name] !== undefined) {
        target[item.name] = data[item.name];
      } else if (data[idKey] !== undefined) {
        target[idKey] = data[idKey];
      } else {
        target[idKey] = item.hasDefault ? item.defaultValue() : null;
      }

      continue;
    }

    const value = data[item.name];

    if (value !== undefined) {
      target[item.name] = value;
    } else if (item.hasDefault) {
      target[item.name] = item.defaultValue();
    } else {
      target[item.name] = item.kind === "id" || item.nullable ? null : undefined;
    }
  }
}

function installAccessors(prototype: object, meta: ModelMeta): void {
  for (const item of meta.fields) {
    if (item instanceof ForeignKeyField) {
      defineForeignKeyAccessor(prototype, meta, item);
    } else if (item instanceof ManyToManyField || item instanceof ReverseField) {
      defineSetAccessor(prototype, item.name);
    }
  }

  // Reverse accessors named by relatedName on other models are added when
  // relations resolve, because the other model may be defined later.
  Object.defineProperty(prototype, "$reverse", {
    value: (name: string) => relatedSet(prototype as Model, name),
    enumerable: false,
  });
}

function defineForeignKeyAccessor(
  prototype: object,
  meta: ModelMeta,
  item: ForeignKeyField,
): void {
  const idKey = `${item.name}Id`;

  Object.defineProperty(prototype, item.name, {
    configurable: true,
    enumerable: false,
    get(this: Model & Record<string, unknown>) {
      const related = stateOf(this).related;

      if (related.has(item.name)) {
        return related.get(item.name);
      }

      if (this[idKey] === null || this[idKey] === undefined) {
        return null;
      }

      throw new RelationNotLoadedError(
        `${meta.name}.${item.name} is not loaded. Add selectRelated("${item.name}") or prefetchRelated("${item.name}") to the query, or call await instance.load("${item.name}") first.`,
        { model: meta.name, field: item.name },
      );
    },
    set(this: Model & Record<string, unknown>, value: unknown) {
      if (value === null || value === undefined) {
        stateOf(this).related.set(item.name, null);
        this[idKey] = null;

        return;
      }

      if (!(value instanceof Model)) {
        throw new ValidationError(
          `${meta.name}.${item.name}: expected a ${item.targetModel.name} instance or null, got ${describeValue(value)}. Assign the id to ${idKey} instead.`,
          { model: meta.name, field: item.name, value },
        );
      }

      stateOf(this).related.set(item.name, value);
      this[idKey] = value.pk;
    },
  });
}

function defineSetAccessor(prototype: object, name: string): void {
  Object.defineProperty(prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: Model) {
      return relatedSet(this, name);
    },
  });
}

/** Returns the instance's relation set for a many-valued relation. */
export function relatedSet(instance: Model, name: string): RelatedSet<Model> {
  const state = stateOf(instance);
  state.sets ??= new Map();
  let set = state.sets.get(name);

  if (!set) {
    set = new RelatedSet(instance, name);
    state.sets.set(name, set);
  }

  return set;
}

/** Adds the accessor for a reverse relation declared only by relatedName. */
export function installReverseAccessor(
  meta: ModelMeta,
  relation: { name: string; multiple: boolean },
): void {
  const prototype = meta.cls.prototype as object;

  if (relation.name in prototype) {
    return;
  }

  if (relation.multiple) {
    defineSetAccessor(prototype, relation.name);

    return;
  }

  Object.defineProperty(prototype, relation.name, {
    configurable: true,
    enumerable: false,
    get(this: Model) {
      const related = stateOf(this).related;

      if (related.has(relation.name)) {
        return related.get(relation.name);
      }

      throw new RelationNotLoadedError(
        `${meta.name}.${relation.name} is not loaded. Add prefetchRelated("${relation.name}") to the query, or call await instance.load("${relation.name}") first.`,
        { model: meta.name, field: relation.name },
      );
    },
  });
}

/**
 * Returns the QuerySet for a model class. Write it once per model, as
 * `static objects = manager(this)`, so results are typed as the subclass
 * with its own getters and methods.
 */
export function manager<C extends ModelClass<any>>(cls: C): QuerySet<InstanceType<C>> {
  const meta = cls.$meta;

  if (!meta) {
    throw new ChakraError(
      `manager(): ${cls.name} is not a model class. Extend Model.define(...) first.`,
    );
  }

  if (meta.cls === undefined || cls.prototype instanceof meta.cls || meta.cls === cls) {
    meta.cls = cls;

    for (const item of meta.fields) {
      item.model = cls;
    }
  }

  return new QuerySet(cls) as QuerySet<InstanceType<C>>;
}

export { validateValue };

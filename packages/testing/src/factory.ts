/**
 * Model factories in the style of factory_boy: default attributes computed
 * from a per-factory sequence number, per-call overrides, and related
 * objects made by other factories.
 */
import type { CreateInput, Database, FieldsOf, Model, ModelClass } from "@chakra-orm/core";

/** The factory method in use: `create()` saves the instance, `build()` leaves it unsaved. */
export type FactoryStrategy = "create" | "build";

/** Passed to lazy attributes and `afterCreate`. */
export interface FactoryContext {
  /** The sequence number of the instance being made, 1 for the first. */
  seq: number;
  strategy: FactoryStrategy;
}

/** The `create()` input of a model class: its fields, plus `<fk>Id` keys. */
export type ModelInput<C extends ModelClass> = CreateInput<FieldsOf<InstanceType<C>>>;

/**
 * An attribute value: the value itself, a function returning it (awaited,
 * called once per instance), or a `subFactory()` for a related object.
 * A function value is always called, so a field cannot take a function as
 * its literal value.
 */
export type Lazy<V> = V | ((context: FactoryContext) => V | Promise<V>) | SubFactory<NonNullable<V>>;

/** Attributes a factory sets; any may be left out, so a missing required field fails at save time. */
export type FactoryAttributes<C extends ModelClass> = {
  [K in keyof ModelInput<C>]?: Lazy<ModelInput<C>[K]>;
};

/** Overrides for one call, or a function of the instance's index for `createMany()`. */
export type ManyOverrides<C extends ModelClass> =
  | FactoryAttributes<C>
  | ((index: number) => FactoryAttributes<C>);

export interface FactoryOptions<C extends ModelClass> {
  /** Saves to this database instead of the one the model routes to. */
  using?: Database;
  /** Runs after `create()` saves an instance, e.g. to add many-to-many links. */
  afterCreate?: (instance: InstanceType<C>, context: FactoryContext) => unknown;
}

/** Upper bound on `createMany()`/`buildMany()` counts, to catch a runaway argument. */
export const MAX_BATCH = 100_000;

/** A related object made by another factory with the same strategy as its owner. */
export class SubFactory<M> {
  constructor(
    readonly factory: Factory<ModelClass>,
    readonly overrides: Record<string, unknown> = {},
  ) {}

  /** Builds or creates the related instance. */
  async make(strategy: FactoryStrategy): Promise<M> {
    const made = strategy === "create" ? this.factory.create(this.overrides) : this.factory.build(this.overrides);

    return (await made) as M;
  }
}

/**
 * Returns an attribute that `create()` fills by creating a related instance
 * with `related`, and `build()` by building an unsaved one.
 *
 * @example
 * const PostFactory = factory(Post, (seq) => ({ title: `Post ${seq}`, author: subFactory(UserFactory) }));
 */
export function subFactory<C extends ModelClass>(
  related: Factory<C>,
  overrides: FactoryAttributes<C> = {},
): SubFactory<InstanceType<C>> {
  return new SubFactory(related as unknown as Factory<ModelClass>, overrides as Record<string, unknown>);
}

/** Makes instances of one model class; see `factory()`. */
export class Factory<C extends ModelClass> {
  readonly model: C;
  readonly #defaults: (seq: number) => FactoryAttributes<C>;
  readonly #options: FactoryOptions<C>;
  #next = 1;

  constructor(model: C, defaults: (seq: number) => FactoryAttributes<C>, options: FactoryOptions<C> = {}) {
    if (typeof (model as { $meta?: unknown }).$meta !== "object") {
      throw new TypeError(
        `factory(): ${String((model as { name?: string }).name ?? model)} is not a model class. Pass a class that extends Model.define(...).`,
      );
    }

    if (typeof defaults !== "function") {
      throw new TypeError(`factory(${model.name}): defaults must be a function of the sequence number, got ${typeof defaults}.`);
    }

    this.model = model;
    this.#defaults = defaults;
    this.#options = options;
  }

  /** The sequence number the next instance gets. */
  get sequence(): number {
    return this.#next;
  }

  /** Sets the next sequence number, 1 by default. */
  resetSequence(next = 1): void {
    if (!Number.isSafeInteger(next)) {
      throw new TypeError(`resetSequence(): expected an integer, got ${String(next)}.`);
    }

    this.#next = next;
  }

  /** Returns a new factory, with its own sequence from 1, whose defaults are merged over these. */
  extend(defaults: (seq: number) => FactoryAttributes<C>, options: FactoryOptions<C> = {}): Factory<C> {
    const base = this.#defaults;

    return new Factory(this.model, (seq) => ({ ...base(seq), ...defaults(seq) }), { ...this.#options, ...options });
  }

  /** Makes an unsaved instance; sub-factories build unsaved related instances too. */
  build(overrides: FactoryAttributes<C> = {}): Promise<InstanceType<C>> {
    return this.#make("build", overrides);
  }

  /** Inserts an instance with `save()`, creating sub-factory objects first, and returns it. */
  create(overrides: FactoryAttributes<C> = {}): Promise<InstanceType<C>> {
    return this.#make("create", overrides);
  }

  /** Builds `count` unsaved instances. */
  buildMany(count: number, overrides: ManyOverrides<C> = {}): Promise<InstanceType<C>[]> {
    return this.#makeMany("build", count, overrides);
  }

  /** Creates `count` instances one after another, in sequence order. */
  createMany(count: number, overrides: ManyOverrides<C> = {}): Promise<InstanceType<C>[]> {
    return this.#makeMany("create", count, overrides);
  }

  async #makeMany(strategy: FactoryStrategy, count: number, overrides: ManyOverrides<C>): Promise<InstanceType<C>[]> {
    if (!Number.isInteger(count) || count < 0 || count > MAX_BATCH) {
      throw new RangeError(
        `${strategy}Many(${this.model.name}): count must be an integer from 0 to ${MAX_BATCH}, got ${String(count)}.`,
      );
    }

    const instances: InstanceType<C>[] = [];

    for (let index = 0; index < count; index += 1) {
      const attributes = typeof overrides === "function" ? overrides(index) : overrides;
      instances.push(await this.#make(strategy, attributes));
    }

    return instances;
  }

  async #make(strategy: FactoryStrategy, overrides: FactoryAttributes<C>): Promise<InstanceType<C>> {
    const seq = this.#next;
    this.#next += 1;
    const context: FactoryContext = { seq, strategy };
    const attributes: Record<string, unknown> = { ...this.#defaults(seq), ...overrides };
    const data: Record<string, unknown> = {};

    // Resolved in key order, one at a time, so related rows are inserted
    // in a predictable order.
    for (const [key, value] of Object.entries(attributes)) {
      data[key] = await resolveAttribute(value, context);
    }

    const instance = new this.model(data) as InstanceType<C>;

    if (strategy === "create") {
      await (instance as Model).save(this.#options.using ? { using: this.#options.using } : {});
      await this.#options.afterCreate?.(instance, context);
    }

    return instance;
  }
}

async function resolveAttribute(value: unknown, context: FactoryContext): Promise<unknown> {
  if (value instanceof SubFactory) {
    return value.make(context.strategy);
  }

  if (typeof value === "function") {
    return (value as (context: FactoryContext) => unknown)(context);
  }

  return value;
}

/**
 * Returns a factory for `model`. `defaults` receives the sequence number
 * (1, 2, 3, ...; see `resetSequence()`) and returns attribute values.
 *
 * @example
 * const UserFactory = factory(User, (seq) => ({ username: `user${seq}` }));
 * const user = await UserFactory.create({ isAdmin: true });
 */
export function factory<C extends ModelClass>(
  model: C,
  defaults: (seq: number) => FactoryAttributes<C>,
  options: FactoryOptions<C> = {},
): Factory<C> {
  return new Factory(model, defaults, options);
}

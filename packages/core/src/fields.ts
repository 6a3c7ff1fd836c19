import { ValidationError, describeValue } from "./errors.js";
import type { ModelClass } from "./model.js";
import { checkSearchOptions, type SearchFieldOptions } from "./search-options.js";
import type { SearchInput } from "./search.js";

export type ScalarKind =
  | "id"
  | "integer"
  | "bigInteger"
  | "float"
  | "decimal"
  | "string"
  | "text"
  | "boolean"
  | "dateTime"
  | "date"
  | "time"
  | "json"
  | "uuid"
  | "binary"
  | "enum"
  | "version"
  | "array"
  | "tsVector"
  | "search";

export type RelationKind = "foreignKey" | "oneToOne" | "manyToMany" | "reverse";

export type FieldKind = ScalarKind | RelationKind;

export type OnDelete = "cascade" | "setNull" | "restrict" | "protect";

export type ValueOrFactory<T> = T | (() => T);

export interface FieldOptions<T> {
  /** Marks the primary key. A model without one gets an `id` field. */
  primaryKey?: boolean;
  /** Allows NULL; the attribute is then typed `T | null`. */
  nullable?: boolean;
  /** A value, or a function called for each new row. */
  default?: ValueOrFactory<T>;
  /** A value, or a function, written on every save and queryset update. */
  onUpdate?: ValueOrFactory<T>;
  unique?: boolean;
  index?: boolean;
  /** The only values the field accepts. */
  choices?: readonly T[];
  /** The database column name; defaults to the attribute name. */
  column?: string;
  /**
   * Lookups beyond the standard ones that this field accepts, such as
   * `overlap` on an array. The query builder turns them into a
   * FieldLookupNode, which each dialect compiles or rejects.
   */
  lookups?: readonly string[];
}

export interface StringOptions extends FieldOptions<string> {
  maxLength?: number;
}

export interface DecimalOptions extends FieldOptions<string> {
  precision: number;
  scale: number;
}

/** Runtime description of one field. Type parameters exist for inference only. */
export class Field<
  T = unknown,
  TNullable extends boolean = boolean,
  TOptional extends boolean = boolean,
> {
  declare readonly $type: T;
  declare readonly $nullable: TNullable;
  declare readonly $optional: TOptional;

  /** Attribute name, set when the model is defined. */
  name = "";
  /** Column name, set when the model is defined. */
  column = "";
  /** The model class that owns this field, set when it is defined. */
  model: ModelClass | undefined;

  constructor(
    readonly kind: FieldKind,
    readonly options: FieldOptions<T> & Record<string, unknown> = {},
  ) {}

  get nullable(): boolean {
    return this.options.nullable === true;
  }

  get primaryKey(): boolean {
    return this.options.primaryKey === true || this.kind === "id";
  }

  get isRelation(): boolean {
    return (
      this.kind === "foreignKey" ||
      this.kind === "oneToOne" ||
      this.kind === "manyToMany" ||
      this.kind === "reverse"
    );
  }

  /** True when the field is stored in a column of its model's table. */
  get hasColumn(): boolean {
    // A search field is virtual: each dialect builds its index next to the
    // table (see `Dialect.afterCreateTable`), never as an ordinary column.
    return this.kind !== "manyToMany" && this.kind !== "reverse" && this.kind !== "search";
  }

  get hasDefault(): boolean {
    return this.options.default !== undefined;
  }

  /** Returns the default for a new row, calling a factory each time. */
  defaultValue(): unknown {
    const value = this.options.default;

    return typeof value === "function" ? (value as () => unknown)() : value;
  }

  onUpdateValue(): unknown {
    const value = this.options.onUpdate;

    return typeof value === "function" ? (value as () => unknown)() : value;
  }

  /** Copies the field so a model built from an abstract one owns its own. */
  clone(): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    copy.model = undefined;

    return copy;
  }

  /** The qualified name used in messages, such as `Post.title`. */
  get label(): string {
    return `${this.model?.name ?? "?"}.${this.name}`;
  }
}

export interface RelationOptions {
  nullable?: boolean;
  onDelete?: OnDelete;
  /** Name of the accessor on the target model that leads back here. */
  relatedName?: string;
  column?: string;
  index?: boolean;
  unique?: boolean;
  primaryKey?: boolean;
}

export interface ManyToManyOptions {
  relatedName?: string;
  /** An explicit through model with foreign keys to both sides. */
  through?: () => ModelClass;
  /** Table name of the automatic through table. */
  table?: string;
}

export type ModelThunk<C> = () => C;

/** A foreign key (or one-to-one) field; `C` is the target model class. */
export class ForeignKeyField<
  C = unknown,
  TNullable extends boolean = boolean,
> extends Field<unknown, TNullable, TNullable> {
  declare readonly $target: C;

  constructor(
    kind: "foreignKey" | "oneToOne",
    readonly target: ModelThunk<C>,
    options: RelationOptions,
  ) {
    super(kind, { ...options, unique: kind === "oneToOne" || options.unique });
  }

  get onDelete(): OnDelete {
    return (this.options.onDelete as OnDelete | undefined) ?? "cascade";
  }

  get relatedName(): string | undefined {
    return this.options.relatedName as string | undefined;
  }

  get targetModel(): ModelClass {
    return this.target() as unknown as ModelClass;
  }
}

/** A many-to-many relation; it owns no column. */
export class ManyToManyField<C = unknown> extends Field<unknown, false, true> {
  declare readonly $target: C;
  /** Set when the model registry resolves the through model. */
  throughModel: ModelClass | undefined;
  /** Foreign key on the through model pointing at the owner. */
  sourceKey: ForeignKeyField | undefined;
  /** Foreign key on the through model pointing at the target. */
  targetKey: ForeignKeyField | undefined;

  constructor(
    readonly target: ModelThunk<C>,
    readonly m2mOptions: ManyToManyOptions,
  ) {
    super("manyToMany", { relatedName: m2mOptions.relatedName });
  }

  get relatedName(): string | undefined {
    return this.m2mOptions.relatedName;
  }

  get targetModel(): ModelClass {
    return this.target() as unknown as ModelClass;
  }
}

/**
 * The reverse side of a foreign key or a many-to-many relation, declared on
 * the target model so that `author.posts` and `posts__title` are typed.
 */
export class ReverseField<C = unknown> extends Field<unknown, false, true> {
  declare readonly $target: C;
  /** Set when the model registry links it to the forward relation. */
  forward: ForeignKeyField | ManyToManyField | undefined;

  constructor(
    readonly target: ModelThunk<C>,
    readonly forwardName: string,
  ) {
    super("reverse", {});
  }

  get targetModel(): ModelClass {
    return this.target() as unknown as ModelClass;
  }

  /** True when the reverse side can hold many rows. */
  get multiple(): boolean {
    return this.forward?.kind !== "oneToOne";
  }
}

type Nullable<O> = O extends { nullable: true } ? true : false;
type Optional<O> = O extends { nullable: true }
  ? true
  : O extends { default: unknown }
    ? true
    : false;

type Scalar<T, O> = Field<T, Nullable<O>, Optional<O>>;

/** A JSON field; the literal `kind` lets filter types accept key paths (`data__color`). */
type JsonField<T, O> = Scalar<T, O> & { readonly kind: "json" };

/** A date field: its values are strings, but it takes year, month and day lookups. */
type DateField<O> = Scalar<string, O> & { readonly kind: "date" };

/**
 * The virtual search field of a model. Its only lookup is `matches`, and it
 * is neither an attribute of instances nor part of `create()` input.
 */
export type SearchField = Field<never, false, true> & {
  readonly kind: "search";
  readonly $lookups: { matches: SearchInput };
};

/** Lookups of an array field: containment both ways and overlap. */
export interface ArrayLookups<T> {
  contains: readonly T[];
  contained_by: readonly T[];
  overlap: readonly T[];
}

/** An array field of `T` items (PostgreSQL only). */
export type ArrayField<T, O> = Field<T[], Nullable<O>, Optional<O>> & {
  readonly $lookups: ArrayLookups<T>;
};

const ARRAY_ITEM_KINDS: ReadonlySet<FieldKind> = new Set([
  "integer",
  "bigInteger",
  "float",
  "decimal",
  "string",
  "text",
  "boolean",
  "uuid",
  "date",
]);

function scalar<T>(kind: ScalarKind) {
  return <const O extends FieldOptions<T> = Record<never, never>>(
    options?: O,
  ): Scalar<T, O> => new Field<T, Nullable<O>, Optional<O>>(kind, { ...options });
}

const MAX_SAFE_DECIMAL_PRECISION = 65;

function jsonField<T = unknown>(options: FieldOptions<T> & { nullable: true }): JsonField<T, { nullable: true }>;
function jsonField<T = unknown>(options: FieldOptions<T> & { default: ValueOrFactory<T> }): JsonField<T, { default: T }>;
function jsonField<T = unknown>(options?: FieldOptions<T>): JsonField<T, Record<never, never>>;
function jsonField<T>(options?: FieldOptions<T>): JsonField<T, any> {
  return new Field("json", { ...options }) as unknown as JsonField<T, any>;
}

/** Field constructors. Each returns a description used by `Model.define`. */
export const field = {
  /** Auto-increment integer primary key. */
  id: (options: { column?: string } = {}): Field<number, false, true> =>
    new Field<number, false, true>("id", { ...options, primaryKey: true }),
  integer: scalar<number>("integer"),
  /** 64-bit integer, read and written as a JS bigint. */
  bigInteger: scalar<bigint>("bigInteger"),
  float: scalar<number>("float"),
  /** Exact decimal, read and written as a string so no digit is lost. */
  decimal: <const O extends DecimalOptions>(options: O): Scalar<string, O> => {
    if (
      !Number.isInteger(options.precision) ||
      !Number.isInteger(options.scale) ||
      options.precision < 1 ||
      options.precision > MAX_SAFE_DECIMAL_PRECISION ||
      options.scale < 0 ||
      options.scale > options.precision
    ) {
      throw new ValidationError(
        `field.decimal(): invalid precision ${describeValue(options.precision)} and scale ${describeValue(options.scale)}. Use whole numbers with 1 <= precision <= ${MAX_SAFE_DECIMAL_PRECISION} and 0 <= scale <= precision.`,
      );
    }

    return new Field("decimal", { ...(options as Record<string, unknown>) });
  },
  string: <const O extends StringOptions = Record<never, never>>(
    options?: O,
  ): Scalar<string, O> => new Field("string", { maxLength: 255, ...options }),
  text: scalar<string>("text"),
  boolean: scalar<boolean>("boolean"),
  /** Timestamp in UTC with millisecond precision, read as a JS Date. */
  dateTime: scalar<Date>("dateTime"),
  /** Calendar date as an ISO string, `YYYY-MM-DD`. */
  date: <const O extends FieldOptions<string> = Record<never, never>>(options?: O): DateField<O> =>
    new Field<string, Nullable<O>, Optional<O>>("date", { ...options }) as DateField<O>,
  /** Time of day as a string, `HH:MM:SS` with optional `.fff`. */
  time: scalar<string>("time"),
  /**
   * Any JSON value; pass the value's type as `field.json<T>()`. The
   * overloads read `nullable` and `default` from the options even when `T`
   * is given explicitly, which plain inference cannot do.
   */
  json: jsonField,
  uuid: scalar<string>("uuid"),
  binary: scalar<Uint8Array>("binary"),
  /** One of a fixed list of strings. */
  enum: <
    const V extends readonly string[],
    const O extends FieldOptions<V[number]> = Record<never, never>,
  >(
    values: V,
    options?: O,
  ): Scalar<V[number], O> =>
    new Field<V[number], Nullable<O>, Optional<O>>("enum", {
      ...options,
      choices: values,
      maxLength: Math.max(1, ...values.map((value) => value.length)),
    }),
  /**
   * Declares the model's full-text search: the text fields it indexes,
   * their weights and the language. The field's name is the filter key,
   * `search__matches`, and `SearchRank` ranks the matches. PostgreSQL stores
   * a generated tsvector column, MySQL a FULLTEXT index and SQLite an FTS5
   * table kept in sync by triggers.
   *
   * @example
   * search: field.search({ fields: { title: "A", body: "B" }, language: "english" }),
   */
  search: (options: SearchFieldOptions): SearchField => {
    checkSearchOptions(options);

    return new Field("search", {
      ...options,
      column: options.column ?? "search_vector",
      lookups: ["matches"],
    }) as SearchField;
  },
  /**
   * An array of `item` values, such as `field.array(field.string())`, with
   * the lookups `contains`, `contained_by` and `overlap`. Supported on
   * PostgreSQL only: other dialects raise NotSupportedError in
   * createTables() and when such a lookup is compiled.
   */
  array: <T, const O extends FieldOptions<T[]> = Record<never, never>>(
    item: Field<T, any, any>,
    options?: O,
  ): ArrayField<T, O> => {
    if (!ARRAY_ITEM_KINDS.has(item.kind)) {
      throw new ValidationError(
        `field.array(): a ${item.kind} field cannot be an array item. Use one of ${[...ARRAY_ITEM_KINDS].join(", ")}.`,
        { value: item.kind },
      );
    }

    return new Field("array", {
      ...options,
      item,
      lookups: ["contains", "contained_by", "overlap"],
    }) as ArrayField<T, O>;
  },
  /** Version counter for optimistic locking; starts at 1. */
  version: (): Field<number, false, true> =>
    new Field<number, false, true>("version", { default: 1 }),
  foreignKey: <C, const O extends RelationOptions = Record<never, never>>(
    target: ModelThunk<C>,
    options?: O,
  ): ForeignKeyField<C, Nullable<O>> =>
    new ForeignKeyField<C, Nullable<O>>("foreignKey", target, { ...options }),
  oneToOne: <C, const O extends RelationOptions = Record<never, never>>(
    target: ModelThunk<C>,
    options?: O,
  ): ForeignKeyField<C, Nullable<O>> =>
    new ForeignKeyField<C, Nullable<O>>("oneToOne", target, { ...options }),
  manyToMany: <C>(
    target: ModelThunk<C>,
    options: ManyToManyOptions = {},
  ): ManyToManyField<C> => new ManyToManyField<C>(target, options),
  /** Declares the reverse side of `forwardName` on the model `target`. */
  reverse: <C>(target: ModelThunk<C>, forwardName: string): ReverseField<C> =>
    new ReverseField<C>(target, forwardName),
};

export type FieldMap = Record<string, Field<any, any, any>>;

/** The field whose column type a field uses: a foreign key stores its target's key. */
export function storageField(item: Field): Field {
  let current: Field = item;

  for (let depth = 0; depth < 8 && current instanceof ForeignKeyField; depth += 1) {
    current = current.targetModel.$meta.pk;
  }

  return current;
}

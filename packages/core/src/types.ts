/**
 * Type-level views of a model's field map: instance attributes, create
 * input, and the typed lookup keys of `filter()`. Every recursive type here
 * is bounded by a depth counter so the checker never runs away.
 */
import type {
  Field,

  ForeignKeyField,
  ManyToManyField,
  ReverseField,
} from "./fields.js";
import type { RelatedSet } from "./related.js";
import type { Expression } from "./expressions.js";
import type { QuerySet } from "./queryset.js";
import type { ValuesQuerySet } from "./values-queryset.js";
import type { CteColumn } from "./cte.js";

type AnyRelation =
  | ForeignKeyField<any, any>
  | ManyToManyField<any>
  | ReverseField<any>;

/** The instance type of a model class (or never). */
export type InstanceOf<C> = C extends abstract new (...args: any) => infer I
  ? I
  : never;

/** The field map of a model instance type. */
export type FieldsOf<M> = M extends { readonly $fields: infer F } ? F : never;

type ScalarKeys<F> = {
  [K in keyof F]: F[K] extends AnyRelation | { kind: "search" } ? never : K;
}[keyof F] &
  string;

type ForeignKeys<F> = {
  [K in keyof F]: F[K] extends ForeignKeyField<any, any> ? K : never;
}[keyof F] &
  string;

type ManyKeys<F> = {
  [K in keyof F]: F[K] extends ManyToManyField<any> | ReverseField<any>
    ? K
    : never;
}[keyof F] &
  string;

/** The value type a scalar field holds on an instance. */
export type FieldValue<T> =
  T extends Field<infer V, infer N, any>
    ? V | (N extends true ? null : never)
    : never;

type PrimaryKeyOf<C> =
  FieldsOf<InstanceOf<C>> extends infer TF
    ? TF extends { id: Field<infer V, any, any> }
      ? V
      : number | string
    : never;

type TargetOf<T> =
  T extends ForeignKeyField<infer C, any>
    ? InstanceOf<C>
    : T extends ManyToManyField<infer C>
      ? InstanceOf<C>
      : T extends ReverseField<infer C>
        ? InstanceOf<C>
        : never;

type TargetClassOf<T> =
  T extends ForeignKeyField<infer C, any>
    ? C
    : T extends ManyToManyField<infer C>
      ? C
      : T extends ReverseField<infer C>
        ? C
        : never;

type NullableRelation<T> =
  T extends ForeignKeyField<any, infer N> ? (N extends true ? null : never) : never;

/** The attributes of a model instance built from its field map. */
export type InstanceData<F> = {
  -readonly [K in ScalarKeys<F>]: FieldValue<F[K]>;
} & {
  -readonly [K in ForeignKeys<F>]: TargetOf<F[K]> | NullableRelation<F[K]>;
} & {
  -readonly [K in ForeignKeys<F> as `${K}Id`]:
    | PrimaryKeyOf<TargetClassOf<F[K]>>
    | NullableRelation<F[K]>;
} & {
  readonly [K in ManyKeys<F>]: RelatedSet<TargetOf<F[K]>>;
};

type OptionalScalarKeys<F> = {
  [K in ScalarKeys<F>]: F[K] extends Field<any, any, true> ? K : never;
}[ScalarKeys<F>];

type RequiredScalarKeys<F> = Exclude<ScalarKeys<F>, OptionalScalarKeys<F>>;

/**
 * Input of `create()` and `new Model()`: fields with defaults, nullable
 * fields and auto ids are optional. A foreign key takes the instance or
 * its id (`author` or `authorId`).
 */
export type CreateInput<F> = {
  [K in RequiredScalarKeys<F>]: FieldValue<F[K]>;
} & {
  [K in OptionalScalarKeys<F>]?: FieldValue<F[K]>;
} & {
  [K in ForeignKeys<F>]?: TargetOf<F[K]> | NullableRelation<F[K]>;
} & {
  [K in ForeignKeys<F> as `${K}Id`]?:
    | PrimaryKeyOf<TargetClassOf<F[K]>>
    | NullableRelation<F[K]>;
};

/** Input of `update()`: any column attribute, each optional. */
export type UpdateInput<F> = Partial<CreateInput<F>>;

export type CommonLookup =
  | "exact"
  | "in"
  | "isnull"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "range";

export type TextLookup =
  | "iexact"
  | "contains"
  | "icontains"
  | "startswith"
  | "istartswith"
  | "endswith"
  | "iendswith"
  | "regex"
  | "iregex";

export type DatePartLookup = "year" | "month" | "day";

export type LookupName = CommonLookup | TextLookup | DatePartLookup;

type LookupsOf<T> = T extends string
  ? CommonLookup | TextLookup
  : T extends Date
    ? CommonLookup | DatePartLookup
    : CommonLookup;

/** A value, or an expression such as F("other") or OuterRef("id"). */
type ValueOrExpression<T> = T | Expression<any>;

/** A query whose rows `__in` reads: a QuerySet, a values() query or a CTE column. */
type QuerySource = QuerySet<any, any> | ValuesQuerySet<any, any, any> | CteColumn<any>;

type LookupValue<T, L> = L extends "in"
  ? readonly T[] | QuerySource
  : L extends "isnull"
    ? boolean
    : L extends "range"
      ? readonly [T, T]
      : L extends DatePartLookup
        ? number
        : L extends TextLookup
          ? string
          : ValueOrExpression<T>;

type Prev = [never, 0, 1, 2, 3];

type ScalarEntries<K extends string, T> =
  T extends Field<infer V, infer N, any>
    ? T extends { kind: "json" }
      ? [K, V | (N extends true ? null : never)] | [`${K}__${string}`, unknown]
      :
          | [K, ValueOrExpression<V> | (N extends true ? null : never)]
          | ((T extends { kind: "date" } ? CommonLookup | DatePartLookup : LookupsOf<V>) extends infer L
              ? L extends string
                ? [`${K}__${L}`, LookupValue<V, L>]
                : never
              : never)
    : never;

/** Entries for the lookups a field kind declares in `$lookups` (array, search, tsVector). */
type DeclaredEntries<K extends string, T> = T extends { $lookups: infer X }
  ? { [L in keyof X & string]: [`${K}__${L}`, X[L]] }[keyof X & string]
  : never;

type Prefixed<P extends string, E> = E extends [infer Key extends string, infer V]
  ? [`${P}__${Key}`, V]
  : never;

type RelationEntries<K extends string, T, D extends number> =
  | [K, TargetOf<T> | PrimaryKeyOf<TargetClassOf<T>> | NullableRelation<T>]
  | [`${K}__in`, readonly (TargetOf<T> | PrimaryKeyOf<TargetClassOf<T>>)[]]
  | [`${K}__isnull`, boolean]
  | ([D] extends [never]
      ? never
      : Prefixed<K, LookupEntries<FieldsOf<TargetOf<T>>, D>>);

/** Every `[key, value type]` pair a filter accepts, `D` relations deep. */
export type LookupEntries<F, D extends number = 2> = {
  [K in keyof F & string]: F[K] extends AnyRelation
    ? RelationEntries<K, F[K], Prev[D]>
    : F[K] extends { kind: "search" }
      ? DeclaredEntries<K, F[K]>
      : ScalarEntries<K, F[K]> | DeclaredEntries<K, F[K]>;
}[keyof F & string] extends infer E
  ? E | ForeignKeyIdEntries<F>
  : never;

type ForeignKeyIdEntries<F> = {
  [K in ForeignKeys<F>]: ScalarEntries<
    `${K}Id`,
    Field<PrimaryKeyOf<TargetClassOf<F[K]>>, false, false>
  >;
}[ForeignKeys<F>];

/** The object accepted by `filter()`, `exclude()` and `Q()` for a model. */
export type FilterInput<F> = {
  [E in LookupEntries<F> as E extends [infer K extends string, unknown]
    ? K
    : never]?: E extends [string, infer V] ? V : never;
};

type OrderPath<F> =
  | ScalarKeys<F>
  | ForeignKeys<F>
  | `${ForeignKeys<F>}Id`
  | {
      [K in ForeignKeys<F>]: `${K}__${ScalarKeys<FieldsOf<TargetOf<F[K]>>>}`;
    }[ForeignKeys<F>];

/** A field path accepted by `values()`, `valuesList()` and `orderBy()`. */
export type FieldPath<F> = OrderPath<F>;

/** An ordering key: a field path, with a leading `-` for descending. */
export type OrderKey<F> = OrderPath<F> | `-${OrderPath<F>}`;

type PathValue<F, P> = P extends `${infer K}__${infer Rest}`
  ? K extends ForeignKeys<F>
    ? Rest extends ScalarKeys<FieldsOf<TargetOf<F[K]>>>
      ? FieldValue<FieldsOf<TargetOf<F[K]>>[Rest]> | NullableRelation<F[K]>
      : unknown
    : unknown
  : P extends ScalarKeys<F>
    ? FieldValue<F[P]>
    : P extends `${infer K}Id`
      ? K extends ForeignKeys<F>
        ? PrimaryKeyOf<TargetClassOf<F[K]>> | NullableRelation<F[K]>
        : unknown
      : P extends ForeignKeys<F>
        ? PrimaryKeyOf<TargetClassOf<F[P]>> | NullableRelation<F[P]>
        : unknown;

/** The row type of `values(...paths)`. */
export type ValuesRow<F, P extends string> = { [K in P]: PathValue<F, K> };

/** The tuple type of `valuesList(...paths)`. */
export type ValuesTuple<F, P extends readonly string[]> = {
  [I in keyof P]: PathValue<F, P[I]>;
};

/** Names of relations that `selectRelated` accepts: forward keys, two deep. */
export type SelectRelatedPath<F> =
  | ForeignKeys<F>
  | {
      [K in ForeignKeys<F>]: `${K}__${ForeignKeys<FieldsOf<TargetOf<F[K]>>>}`;
    }[ForeignKeys<F>];

/** Names of relations that `prefetchRelated` and `load` accept. */
export type RelationName<F> = ForeignKeys<F> | ManyKeys<F>;

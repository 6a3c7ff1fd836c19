import type { Expression, ExpressionType } from "./expressions.js";
import type { Field } from "./fields.js";
import type { Q } from "./q.js";
import type { FieldsOf, FilterInput } from "./types.js";

/** The attribute types that annotations add, by name. */
export type AnnotationValues<N> = { -readonly [K in keyof N]: N[K] extends Expression ? ExpressionType<N[K]> : never };

/** Annotations seen as fields, so values() and valuesList() can type them. */
export type AnnotationFields<A> = { [K in keyof A]: Field<A[K], false, false> };

type ComparisonLookup = "exact" | "gt" | "gte" | "lt" | "lte";

/** Filter keys on annotations: the name alone, comparisons, `in` and `isnull`. */
export type AnnotationFilter<A> = {
  [K in keyof A & string]?: A[K] | null;
} & {
  [K in keyof A & string as `${K}__${ComparisonLookup}`]?: A[K];
} & {
  [K in keyof A & string as `${K}__in`]?: readonly A[K][];
} & {
  [K in keyof A & string as `${K}__isnull`]?: boolean;
};

/** What filter() and exclude() accept for a model with annotations `A`. */
export type Conditions<M, A> = (FilterInput<FieldsOf<M>> & AnnotationFilter<A>) | Q<FieldsOf<M>>;

export type AnnotationOrderKey<A> = (keyof A & string) | `-${keyof A & string}`;

import type { Expression, ExpressionType } from "./expressions.js";
import type { Model } from "./model.js";
import type { QuerySet } from "./queryset.js";
import type { AnnotationOrderKey, AnnotationValues, Conditions } from "./queryset-types.js";
import type { FieldsOf, OrderKey } from "./types.js";

/**
 * The rows of `values(...)` as a query: await it for plain objects, or
 * chain `annotate()` to group by the selected paths and aggregate.
 */
export class ValuesQuerySet<Row, M extends Model, A extends object> implements PromiseLike<Row[]> {
  constructor(
    /** @internal */ readonly query: QuerySet<M, A>,
    /** @internal */ readonly paths: readonly string[],
    readonly mode: "object",
  ) {}

  #with<R = Row, M2 extends Model = M, A2 extends object = A>(query: QuerySet<M2, A2>): ValuesQuerySet<R, M2, A2> {
    return new ValuesQuerySet<R, M2, A2>(query, this.paths, this.mode);
  }

  /** Adds computed columns; aggregates group the rows by the selected paths. */
  annotate<const N extends Record<string, Expression>>(
    annotations: N,
  ): ValuesQuerySet<Row & { -readonly [K in keyof N]: ExpressionType<N[K]> }, M & AnnotationValues<N>, A & AnnotationValues<N>> {
    return this.#with(this.query.annotate(annotations));
  }

  /** Keeps matching rows; a condition on an aggregate becomes HAVING. */
  filter(conditions: Conditions<M, A>): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.filter(conditions));
  }

  exclude(conditions: Conditions<M, A>): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.exclude(conditions));
  }

  orderBy(...keys: (OrderKey<FieldsOf<M>> | AnnotationOrderKey<A>)[]): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.orderBy(...keys));
  }

  limit(count: number): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.limit(count));
  }

  offset(count: number): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.offset(count));
  }

  distinct(): ValuesQuerySet<Row, M, A> {
    return this.#with(this.query.distinct());
  }

  /** Runs the query and returns the rows. */
  async all(): Promise<Row[]> {
    const { rows, names } = await this.query.valuesRows("values", this.paths);

    return rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index]])) as Row);
  }

  async first(): Promise<Row | null> {
    const [row] = await this.#with(this.query.limit(1)).all();

    return row ?? null;
  }

  then<T1 = Row[], T2 = never>(
    onFulfilled?: ((rows: Row[]) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.all().then(onFulfilled, onRejected);
  }
}

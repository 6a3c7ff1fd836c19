/**
 * Common table expressions: `cte(name, queryset)` names a query, and
 * `.recursive(step)` makes it walk a tree or graph to any depth.
 */
import { column, emptySelect, type CteNode, type ExpressionNode, type SelectNode } from "./ast.js";
import { ValidationError, describeValue } from "./errors.js";
import { Expression, type Reader } from "./expressions.js";
import type { Model } from "./model.js";
import type { Scope } from "./query-builder.js";
import type { QuerySet } from "./queryset.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A column of a CTE, read in a query that joins it. */
export class CteColumn<T = unknown> extends Expression<T> {
  constructor(
    readonly cte: Cte<any>,
    readonly name: string,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    const columnName = this.cte.columnName(this.name);
    const alias = joinCte(scope, this.cte.name);

    return column(alias, columnName);
  }
}

/**
 * Adds the CTE to the scope's FROM once, as a cross join that the
 * conditions using its columns then restrict.
 */
function joinCte(scope: Scope, name: string): string {
  const key = `$cte:${name}`;
  const existing = scope.cteAliases.get(key);

  if (existing) {
    return existing;
  }

  const alias = scope.aliases.next("c");
  scope.joins.push({ type: "inner", table: name, alias, on: { kind: "constant", value: true } });
  scope.cteAliases.set(key, alias);

  return alias;
}

/**
 * A named query for `QuerySet.with()`. Its columns are the model's columns
 * plus the query's annotations, so `fromCte()` reads rows back as model
 * instances with those annotations set.
 *
 * @example
 * const thread = cte("thread", Comment.objects.filter({ id: rootId }).annotate({ depth: Value(0) }))
 *   .recursive((self) => Comment.objects.filter({ parentId: self.col("id") }).annotate({ depth: self.col("depth").add(1) }));
 * const rows = await Comment.objects.fromCte(thread).orderBy("depth", "id").all();
 */
export class Cte<M extends Model = Model> {
  constructor(
    readonly name: string,
    readonly query: QuerySet<M, any>,
    readonly step?: (self: Cte<M>) => QuerySet<M, any>,
  ) {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new ValidationError(
        `cte(): invalid name ${describeValue(name)}. Use letters, digits and underscores, starting with a letter.`,
        { value: name },
      );
    }
  }

  /** Returns a recursive copy: `step` builds the rows that follow from the rows found so far. */
  recursive(step: (self: Cte<M>) => QuerySet<M, any>): Cte<M> {
    return new Cte(this.name, this.query, step);
  }

  /** A column of this CTE (a field or an annotation name), for conditions and annotations. */
  col<T = unknown>(name: string): CteColumn<T> {
    this.columnName(name);

    return new CteColumn<T>(this, name);
  }

  /** @internal The database column behind a field or annotation name. */
  columnName(name: string): string {
    const meta = this.query.model.$meta;
    const found = meta.field(name);

    if (found?.hasColumn) {
      return found.column;
    }

    if (this.query.annotationNames().includes(name)) {
      return name;
    }

    throw new ValidationError(
      `cte("${this.name}").col(): unknown column "${name}". The CTE has ${[...meta.columnFields.map((item) => item.name), ...this.query.annotationNames()].join(", ")}.`,
      { model: meta.name, value: name },
    );
  }

  /** @internal The column names, in select-list order. */
  columns(): string[] {
    return [...this.query.model.$meta.columnFields.map((item) => item.column), ...this.query.annotationNames()];
  }

  /** @internal Readers for the annotation columns, by name. */
  annotationReaders(scope: Scope): { name: string; read: Reader }[] {
    return this.query.annotationReaders(scope);
  }

  /** @internal Builds the CTE definition. */
  toNode(outer: Scope): CteNode {
    const query = this.query.cteSelect(outer);
    const recursive = this.step ? this.step(this).cteSelect(outer) : undefined;

    return { name: this.name, columns: this.columns(), query, recursive };
  }

  /** @internal SELECT `column` FROM this CTE, for `field__in` conditions. */
  valuesSelect(outer: Scope, name: string): SelectNode {
    const alias = outer.aliases.next("c");
    const select = emptySelect(this.name, alias);
    select.columns = [{ expression: column(alias, this.columnName(name)) }];

    return select;
  }
}

/** Names a QuerySet as a common table expression for `QuerySet.with()` or `fromCte()`. */
export function cte<M extends Model>(name: string, query: QuerySet<M, any>): Cte<M> {
  return new Cte(name, query);
}

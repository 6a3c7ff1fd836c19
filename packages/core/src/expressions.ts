/**
 * Query expressions: field references, arithmetic, functions, CASE,
 * aggregates, subqueries and window functions. Each builds an AST node in
 * the scope of the query that uses it, so paths resolve to that query's
 * joins and aliases.
 */
import type {
  CastType,
  ExpressionNode,
  ExtractNode,
  FrameNode,
  OrderNode,
  SelectNode,
  WhereNode,
} from "./ast.js";
import type { SqlCompiler } from "./compiler.js";
import { ValidationError, describeValue } from "./errors.js";
import { Field } from "./fields.js";
import type { Scope } from "./query-builder.js";
import type { Q } from "./q.js";

const EXPRESSION = Symbol.for("chakra-orm.expression");

export type Reader = ((raw: unknown) => unknown) | null;

export function isExpression(item: unknown): item is Expression {
  return (
    typeof item === "object" &&
    item !== null &&
    (item as Record<symbol, unknown>)[EXPRESSION] === true
  );
}

/** Hooks the query builder provides, so this module does not import it. */
export interface ExpressionContext {
  resolveColumn(scope: Scope, path: string): { node: ExpressionNode; field: Field | undefined };
  buildCondition(scope: Scope, condition: unknown): WhereNode | undefined;
  buildOrdering(scope: Scope, keys: readonly string[]): OrderNode[];
  /** Builds a correlated subquery for an aggregate across a multi-valued relation, or undefined. */
  relatedAggregate(scope: Scope, aggregate: Aggregate): ExpressionNode | undefined;
  /** Builds the SELECT of a QuerySet used inside another query. */
  subquery(scope: Scope, query: unknown, column: string | undefined): SelectNode;
  /** The reader of the single column a Subquery selects. */
  subqueryReader(scope: Scope, query: unknown, column: string | undefined, compiler: SqlCompiler): Reader;
  /** True for what `field__in` accepts as a subquery: a QuerySet, values() or a CTE column. */
  isQuerySource(item: unknown): boolean;
  /** The SELECT of a query source used with `__in`: primary keys or the selected path. */
  inSubquery(scope: Scope, item: unknown): SelectNode;
}

let context: ExpressionContext | undefined;

/** @internal Installs the query builder's hooks; called once by query-builder.ts. */
export function setExpressionContext(hooks: ExpressionContext): void {
  context = hooks;
}

/** @internal */
export function isQuerySource(item: unknown): boolean {
  return context?.isQuerySource(item) ?? false;
}

/** @internal */
export function subqueryFor(scope: Scope, item: unknown): SelectNode {
  return hooks().inSubquery(scope, item);
}

function hooks(): ExpressionContext {
  if (!context) {
    throw new ValidationError("Expressions are used before the query builder loaded.");
  }

  return context;
}

const toNumber: Reader = (raw) => (typeof raw === "number" ? raw : Number(raw));

/** Something that compiles to an SQL expression; `T` is its value in JS. */
export abstract class Expression<T = unknown> {
  readonly [EXPRESSION] = true as const;
  declare readonly $type: T;

  /** Builds the AST node in `scope`. */
  abstract toNode(scope: Scope): ExpressionNode;

  /** True when the expression aggregates rows, so its query groups. */
  get containsAggregate(): boolean {
    return false;
  }

  /** Returns the converter for values of this expression read from the database. */
  reader(_scope: Scope, _compiler: SqlCompiler): Reader {
    return null;
  }

  add(other: unknown): Expression<number> {
    return new Arithmetic("+", this, other);
  }

  sub(other: unknown): Expression<number> {
    return new Arithmetic("-", this, other);
  }

  mul(other: unknown): Expression<number> {
    return new Arithmetic("*", this, other);
  }

  div(other: unknown): Expression<number> {
    return new Arithmetic("/", this, other);
  }

  /** Returns an ascending ordering by this expression, for `orderBy()`. */
  asc(): OrderTerm {
    return new OrderTerm(this, false);
  }

  /** Returns a descending ordering by this expression, for `orderBy()`. */
  desc(): OrderTerm {
    return new OrderTerm(this, true);
  }
}

/** An ordering by an expression, such as `F("views").mul(2).desc()`. */
export class OrderTerm {
  constructor(
    readonly expression: Expression,
    readonly descending: boolean,
  ) {}

  /** Returns the same ordering in the opposite direction. */
  reversed(): OrderTerm {
    return new OrderTerm(this.expression, !this.descending);
  }
}

function withFieldOf(node: ExpressionNode, other: ExpressionNode): ExpressionNode {
  if (node.kind === "value" && node.field === undefined && other.kind === "column" && other.field) {
    return { ...node, field: other.field };
  }

  return node;
}

/** Wraps a plain value as a bound parameter; expressions pass through. */
export function toExpression(item: unknown): Expression {
  return isExpression(item) ? item : new ValueExpression(item);
}

/** Field paths given as strings name fields, as Django's functions do. */
function fieldOrExpression(item: string | Expression): Expression {
  return typeof item === "string" ? new FieldRef(item) : item;
}

/** A bound value, for places that take expressions. */
export class ValueExpression<T = unknown> extends Expression<T> {
  constructor(readonly value: T) {
    super();
  }

  toNode(): ExpressionNode {
    return { kind: "value", value: this.value };
  }
}

/** A reference to a field of the row, possibly across foreign keys. */
export class FieldRef<T = unknown> extends Expression<T> {
  constructor(readonly path: string) {
    super();

    if (typeof path !== "string" || path.length === 0) {
      throw new ValidationError(`F(): invalid field path ${describeValue(path)}. Pass a field name such as "views".`, { value: path });
    }
  }

  toNode(scope: Scope): ExpressionNode {
    return hooks().resolveColumn(scope, this.path).node;
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    const { field } = hooks().resolveColumn(scope, this.path);

    return field ? compiler.fromDriver(field) : null;
  }
}

/**
 * References a field of the row, for comparisons between columns and for
 * updates computed in SQL.
 *
 * @example
 * await Post.objects.filter({ authorId: 1 }).update({ views: F("views").add(1) });
 */
export function F<T = unknown>(path: string): FieldRef<T> {
  return new FieldRef<T>(path);
}

/** A field of the enclosing query, for use inside Subquery and Exists. */
export class OuterRefExpression<T = unknown> extends Expression<T> {
  constructor(readonly path: string) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    if (!scope.parent) {
      throw new ValidationError(
        `OuterRef("${this.path}") is used outside a subquery. Use F("${this.path}") in the outer query.`,
        { value: this.path },
      );
    }

    return hooks().resolveColumn(scope.parent, this.path).node;
  }
}

class Arithmetic extends Expression<number> {
  constructor(
    readonly operator: "+" | "-" | "*" | "/",
    readonly left: unknown,
    readonly right: unknown,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    const left = toExpression(this.left).toNode(scope);
    const right = toExpression(this.right).toNode(scope);

    // A plain value takes the field of the column it meets, so it is bound
    // with that field's type (PostgreSQL has no numeric + text operator).
    return {
      kind: "binary",
      operator: this.operator,
      left: withFieldOf(left, right),
      right: withFieldOf(right, left),
    };
  }

  override get containsAggregate(): boolean {
    return toExpression(this.left).containsAggregate || toExpression(this.right).containsAggregate;
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    const left = toExpression(this.left);
    const inner = left instanceof FieldRef || left instanceof Aggregate ? left.reader(scope, compiler) : null;

    return inner ?? toNumber;
  }
}

/** A call of a named SQL function with bound or expression arguments. */
export class Func<T = unknown> extends Expression<T> {
  readonly args: Expression[];

  constructor(
    readonly name: string,
    args: readonly unknown[],
    readonly output?: Reader,
  ) {
    super();

    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) {
      throw new ValidationError(`Func(): invalid function name ${describeValue(name)}. Use letters, digits and underscores.`, { value: name });
    }

    this.args = args.map(toExpression);
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "func", name: this.name, args: this.args.map((arg) => arg.toNode(scope)) };
  }

  override get containsAggregate(): boolean {
    return this.args.some((arg) => arg.containsAggregate);
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    return this.output === undefined ? (this.args[0]?.reader(scope, compiler) ?? null) : this.output;
  }
}

/** Calls the SQL function `name`; every argument is bound or an expression. */
export function func<T = unknown>(name: string, ...args: unknown[]): Func<T> {
  return new Func<T>(name, args, null);
}

export const Lower = (item: string | Expression): Func<string> => new Func("lower", [fieldOrExpression(item)], null);
export const Upper = (item: string | Expression): Func<string> => new Func("upper", [fieldOrExpression(item)], null);
/** Length in characters (not bytes) on every dialect. */
export const Length = (item: string | Expression): Func<number> => new Func("length", [fieldOrExpression(item)], toNumber);
/** The first non-NULL argument. */
export const Coalesce = <T = unknown>(...items: (string | Expression)[]): Func<T> =>
  new Func<T>("coalesce", items.map(fieldOrExpression));
/** Joins text; wrap literal text in `new Value("...")`. */
export const Concat = (...items: (string | Expression)[]): Func<string> => new Func("concat", items.map(fieldOrExpression), null);

const dateTimeField = new Field("dateTime");

/** The current time of the database server, in UTC. */
export class NowExpression extends Expression<Date> {
  toNode(): ExpressionNode {
    return { kind: "func", name: "now", args: [] };
  }

  override reader(_scope: Scope, compiler: SqlCompiler): Reader {
    return compiler.fromDriver(dateTimeField);
  }
}

const CAST_READERS: Record<CastType, Reader> = {
  integer: toNumber,
  float: toNumber,
  decimal: (raw) => String(raw),
  text: (raw) => String(raw),
  date: null,
  dateTime: null,
};

/** Converts a value to another SQL type. */
export class CastExpression<T = unknown> extends Expression<T> {
  constructor(
    readonly item: string | Expression,
    readonly type: CastType,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "cast", expression: fieldOrExpression(this.item).toNode(scope), type: this.type };
  }

  override reader(_scope: Scope, compiler: SqlCompiler): Reader {
    if (this.type === "date") {
      return compiler.fromDriver(new Field("date"));
    }

    if (this.type === "dateTime") {
      return compiler.fromDriver(dateTimeField);
    }

    return CAST_READERS[this.type];
  }
}

/** A part of a date-time as a number, in UTC: year, month, day, hour, minute, second. */
export class ExtractExpression extends Expression<number> {
  constructor(
    readonly part: ExtractNode["part"],
    readonly item: string | Expression,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "extract", part: this.part, expression: fieldOrExpression(this.item).toNode(scope) };
  }

  override reader(): Reader {
    return toNumber;
  }
}

/** One branch of a Case: a filter condition and the value it yields. */
export class WhenClause<T = unknown> {
  constructor(
    readonly condition: Record<string, unknown> | Q,
    readonly then: T | Expression<T>,
  ) {}
}

/**
 * A conditional value: the first When whose condition matches, else the
 * default (NULL if none is given).
 *
 * @example
 * Post.objects.annotate({ size: Case([When({ views__gte: 100 }, "big")], "small") })
 */
export class CaseExpression<T = unknown> extends Expression<T> {
  constructor(
    readonly whens: readonly WhenClause<T>[],
    readonly otherwise?: T | Expression<T>,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return {
      kind: "case",
      whens: this.whens.map((when) => {
        const condition = hooks().buildCondition(scope, when.condition);

        return {
          condition: condition ?? { kind: "constant", value: true },
          result: toExpression(when.then).toNode(scope),
        };
      }),
      otherwise: this.otherwise === undefined ? undefined : toExpression(this.otherwise).toNode(scope),
    };
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    const first = this.whens.find((when) => isExpression(when.then));

    return first ? (first.then as Expression).reader(scope, compiler) : null;
  }
}

export interface AggregateOptions {
  distinct?: boolean;
  /** Only rows matching this condition take part. */
  filter?: Record<string, unknown> | Q;
}

/** An aggregate over the rows of a group (or of a related set). */
export class Aggregate<T = unknown> extends Expression<T> {
  constructor(
    readonly fn: "count" | "sum" | "avg" | "min" | "max",
    readonly item: string | Expression | "*",
    readonly options: AggregateOptions = {},
  ) {
    super();
  }

  override get containsAggregate(): boolean {
    return true;
  }

  toNode(scope: Scope): ExpressionNode {
    const related = hooks().relatedAggregate(scope, this);

    if (related) {
      return related;
    }

    return {
      kind: "aggregate",
      fn: this.fn,
      arg: this.item === "*" ? "*" : fieldOrExpression(this.item).toNode(scope),
      distinct: this.options.distinct === true,
      filter: this.options.filter ? hooks().buildCondition(scope, this.options.filter) : undefined,
    };
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    if (this.fn === "count" || this.fn === "avg") {
      return toNumber;
    }

    if (this.item === "*") {
      return toNumber;
    }

    const inner = fieldOrExpression(this.item);
    let base: Reader = null;

    try {
      base = inner.reader(scope, compiler);
    } catch {
      // A path across a multi-valued relation has no column in this scope;
      // its values are read as numbers.
      base = null;
    }

    if (this.fn === "sum") {
      return base ?? toNumber;
    }

    return base;
  }

  /** Turns the aggregate into a window function over a partition of rows. */
  over(window: WindowOptions = {}): WindowExpression<T> {
    return new WindowExpression(this, window);
  }
}

/** Counts rows, or non-NULL values of a field; `Count("comments")` counts related rows. */
export const Count = (item: string | Expression | "*" = "*", options?: AggregateOptions): Aggregate<number> =>
  new Aggregate<number>("count", item, options);
export const Sum = (item: string | Expression, options?: AggregateOptions): Aggregate<number | null> =>
  new Aggregate<number | null>("sum", item, options);
export const Avg = (item: string | Expression, options?: AggregateOptions): Aggregate<number | null> =>
  new Aggregate<number | null>("avg", item, options);
export const Min = <T = unknown>(item: string | Expression, options?: AggregateOptions): Aggregate<T | null> =>
  new Aggregate<T | null>("min", item, options);
export const Max = <T = unknown>(item: string | Expression, options?: AggregateOptions): Aggregate<T | null> =>
  new Aggregate<T | null>("max", item, options);

/** A scalar subquery: one column of the first row of another QuerySet. */
export class SubqueryExpression<T = unknown> extends Expression<T> {
  constructor(
    readonly query: unknown,
    readonly column?: string,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "subquery", query: hooks().subquery(scope, this.query, this.column) };
  }

  /** Reads the value as the inner query's column or annotation would be read. */
  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    return hooks().subqueryReader(scope, this.query, this.column, compiler);
  }
}

/** True when another QuerySet (usually filtered with OuterRef) has a row. */
export class ExistsExpression extends Expression<boolean> {
  constructor(readonly query: unknown) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "existsExpression", query: hooks().subquery(scope, this.query, undefined) };
  }

  override reader(): Reader {
    return (raw) => raw === 1 || raw === true || raw === "1" || raw === 1n;
  }
}

export interface WindowOptions {
  /** Field paths that split the rows into partitions. */
  partitionBy?: string[];
  /** Ordering keys inside each partition, `-field` for descending. */
  orderBy?: string[];
  /** Rows (or range) around the current row; offsets negative before it, null unbounded. */
  frame?: FrameNode;
}

/** A function evaluated over a window of rows. */
export class WindowExpression<T = unknown> extends Expression<T> {
  constructor(
    readonly fn: Expression,
    readonly window: WindowOptions,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    const grouped = scope.grouped;
    // The function inside OVER is evaluated per row, never as a grouped
    // subquery, so build it as a plain aggregate.
    scope.grouped = false;

    try {
      return {
        kind: "window",
        fn: this.fn instanceof Aggregate ? plainAggregate(this.fn, scope) : this.fn.toNode(scope),
        partitionBy: (this.window.partitionBy ?? []).map((path) => hooks().resolveColumn(scope, path).node),
        orderBy: hooks().buildOrdering(scope, this.window.orderBy ?? []),
        frame: this.window.frame,
      };
    } finally {
      scope.grouped = grouped;
    }
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    return this.fn.reader(scope, compiler) ?? toNumber;
  }
}

function plainAggregate(aggregate: Aggregate, scope: Scope): ExpressionNode {
  return {
    kind: "aggregate",
    fn: aggregate.fn,
    arg: aggregate.item === "*" ? "*" : fieldOrExpression(aggregate.item).toNode(scope),
    distinct: aggregate.options.distinct === true,
    filter: aggregate.options.filter ? hooks().buildCondition(scope, aggregate.options.filter) : undefined,
  };
}

class WindowFunction<T> extends Expression<T> {
  constructor(
    readonly name: string,
    readonly args: readonly unknown[],
    readonly output: Reader | "argument",
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    return { kind: "func", name: this.name, args: this.args.map((arg) => toExpression(arg).toNode(scope)) };
  }

  override reader(scope: Scope, compiler: SqlCompiler): Reader {
    if (this.output === "argument") {
      return toExpression(this.args[0]).reader(scope, compiler);
    }

    return this.output;
  }

  over(window: WindowOptions = {}): WindowExpression<T> {
    return new WindowExpression(this, window);
  }
}

export const RowNumber = (): WindowFunction<number> => new WindowFunction("row_number", [], toNumber);
export const Rank = (): WindowFunction<number> => new WindowFunction("rank", [], toNumber);
export const DenseRank = (): WindowFunction<number> => new WindowFunction("dense_rank", [], toNumber);
export const NTile = (buckets: number): WindowFunction<number> => new WindowFunction("ntile", [new Raw(checkWhole(buckets, "NTile"))], toNumber);
export const FirstValue = <T = unknown>(item: string | Expression): WindowFunction<T> => new WindowFunction("first_value", [fieldOrExpression(item)], "argument");
export const LastValue = <T = unknown>(item: string | Expression): WindowFunction<T> => new WindowFunction("last_value", [fieldOrExpression(item)], "argument");
export const Lag = <T = unknown>(item: string | Expression, offset = 1): WindowFunction<T | null> =>
  new WindowFunction("lag", [fieldOrExpression(item), new Raw(checkWhole(offset, "Lag"))], "argument");
export const Lead = <T = unknown>(item: string | Expression, offset = 1): WindowFunction<T | null> =>
  new WindowFunction("lead", [fieldOrExpression(item), new Raw(checkWhole(offset, "Lead"))], "argument");

function checkWhole(count: number, name: string): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new ValidationError(`${name}(): invalid count ${describeValue(count)}. Pass a whole number of 1 or more.`, { value: count });
  }

  return count;
}

/**
 * A whole number written into the SQL text. Window functions take literal
 * offsets on some databases, and `checkWhole` has made sure it is a number.
 */
class Raw extends Expression<number> {
  constructor(readonly count: number) {
    super();
  }

  toNode(): ExpressionNode {
    return { kind: "raw", parts: [String(this.count)], params: [] };
  }
}

/** The expression value type of an annotation. */
export type ExpressionType<E> = E extends Expression<infer T> ? T : never;

/** Wraps a value as a bound parameter, such as literal text inside Concat. */
export function Value<T>(item: T): ValueExpression<T> {
  return new ValueExpression(item);
}

/** A field of the enclosing query, for use inside Subquery and Exists. */
export function OuterRef<T = unknown>(path: string): OuterRefExpression<T> {
  return new OuterRefExpression<T>(path);
}

/** The current time of the database server, in UTC. */
export function Now(): NowExpression {
  return new NowExpression();
}

/** Converts a field or expression to another SQL type. */
export function Cast<T = unknown>(item: string | Expression, type: CastType): CastExpression<T> {
  return new CastExpression<T>(item, type);
}

/** A part of a date-time as a number, in UTC. */
export function Extract(part: ExtractNode["part"], item: string | Expression): ExtractExpression {
  return new ExtractExpression(part, item);
}

/** One branch of a Case: a filter condition and the value it yields. */
export function When<T>(condition: Record<string, unknown> | Q, then: T | Expression<T>): WhenClause<T> {
  return new WhenClause(condition, then);
}

/** The first When whose condition matches, else `otherwise` (NULL if omitted). */
export function Case<T>(whens: readonly WhenClause<T>[], otherwise?: T | Expression<T>): CaseExpression<T> {
  return new CaseExpression(whens, otherwise);
}

/** One column of the first row of another query, usually filtered with OuterRef. */
export function Subquery<T = unknown>(query: unknown, column?: string): SubqueryExpression<T> {
  return new SubqueryExpression<T>(query, column);
}

/** True when another query (usually filtered with OuterRef) has a row. */
export function Exists(query: unknown): ExistsExpression {
  return new ExistsExpression(query);
}

/**
 * The query AST: plain data that QuerySets build and compilers read.
 * Compilers never see a QuerySet, and QuerySets never build SQL text.
 */
import type { Field } from "./fields.js";
import type { LookupName } from "./types.js";
import type { SearchMatchNode, SearchRankNode } from "./search-node.js";

export interface ColumnNode {
  kind: "column";
  /** Table alias, or undefined for an unqualified column. */
  table: string | undefined;
  column: string;
  /** The field, so values compared with it are converted the same way. */
  field?: Field;
}

export interface ValueNode {
  kind: "value";
  value: unknown;
  /** The field the value is written to or compared with, for conversion. */
  field?: Field;
}

export interface RawNode {
  kind: "raw";
  /** SQL text from a `sql` template; `?` marks each parameter in `params`. */
  parts: readonly string[];
  params: readonly unknown[];
}

export interface FuncNode {
  kind: "func";
  name: string;
  args: ExpressionNode[];
}

export interface AggregateNode {
  kind: "aggregate";
  fn: "count" | "sum" | "avg" | "min" | "max";
  arg: ExpressionNode | "*";
  distinct: boolean;
  /** Only rows matching this condition count (compiled as CASE WHEN). */
  filter?: WhereNode;
}

export interface SubqueryNode {
  kind: "subquery";
  query: SelectNode;
}

export interface BinaryNode {
  kind: "binary";
  operator: "+" | "-" | "*" | "/";
  left: ExpressionNode;
  right: ExpressionNode;
}

export interface CaseNode {
  kind: "case";
  whens: { condition: WhereNode; result: ExpressionNode }[];
  otherwise: ExpressionNode | undefined;
}

export type CastType = "integer" | "float" | "decimal" | "text" | "date" | "dateTime";

export interface CastNode {
  kind: "cast";
  expression: ExpressionNode;
  type: CastType;
}

/** A date or time part of an expression, such as its year. */
export interface ExtractNode {
  kind: "extract";
  part: "year" | "month" | "day" | "hour" | "minute" | "second";
  expression: ExpressionNode;
}

export interface FrameNode {
  type: "rows" | "range";
  /** Offset from the current row: negative is preceding, null is unbounded. */
  start: number | null;
  end: number | null;
}

/** A window function call: `fn over (partition by ... order by ... frame)`. */
export interface WindowNode {
  kind: "window";
  fn: ExpressionNode;
  partitionBy: ExpressionNode[];
  orderBy: OrderNode[];
  frame: FrameNode | undefined;
}

export interface ExistsExpressionNode {
  kind: "existsExpression";
  query: SelectNode;
}

/** A condition used as a boolean value, as in `annotate({ hot: ... })`. */
export interface ConditionNode {
  kind: "condition";
  where: WhereNode;
}

export type ExpressionNode =
  | ColumnNode
  | ValueNode
  | RawNode
  | FuncNode
  | AggregateNode
  | SubqueryNode
  | BinaryNode
  | CaseNode
  | CastNode
  | ExtractNode
  | WindowNode
  | ExistsExpressionNode
  | ConditionNode
  | SearchRankNode;

export interface AndNode {
  kind: "and";
  items: WhereNode[];
}

export interface OrNode {
  kind: "or";
  items: WhereNode[];
}

export interface NotNode {
  kind: "not";
  item: WhereNode;
}

/** A field lookup such as `title__icontains`, rendered by each dialect. */
export interface LookupNode {
  kind: "lookup";
  lookup: LookupName;
  lhs: ExpressionNode;
  /** The right-hand side: a value, a list for `in`, a pair for `range`. */
  value: unknown;
  field: Field | undefined;
}

/** A key path into a JSON column, compared with a lookup. */
export interface JsonLookupNode {
  kind: "jsonLookup";
  lhs: ColumnNode;
  path: string[];
  lookup: LookupName;
  value: unknown;
}

/**
 * A lookup a field declares beyond the standard ones (`FieldOptions.lookups`),
 * such as `overlap` on an array. Dialects compile the ones they support.
 */
export interface FieldLookupNode {
  kind: "fieldLookup";
  lookup: string;
  lhs: ColumnNode;
  /** A value to bind, or an expression node. */
  value: unknown;
  field: Field;
}

export interface ExistsNode {
  kind: "exists";
  query: SelectNode;
}

export interface InSubqueryNode {
  kind: "inSubquery";
  lhs: ExpressionNode;
  query: SelectNode;
}

/** `(item) is not true`: true when the condition is false or unknown (NULL). */
export interface NotTrueNode {
  kind: "notTrue";
  item: WhereNode;
}

export interface ConstantNode {
  kind: "constant";
  value: boolean;
}

export interface RawWhereNode {
  kind: "rawWhere";
  expression: RawNode;
}

export type WhereNode =
  | AndNode
  | OrNode
  | NotNode
  | LookupNode
  | JsonLookupNode
  | ExistsNode
  | InSubqueryNode
  | ConstantNode
  | NotTrueNode
  | RawWhereNode
  | FieldLookupNode
  | SearchMatchNode;

export interface JoinNode {
  type: "inner" | "left";
  table: string;
  alias: string;
  on: WhereNode;
}

export interface SelectColumn {
  expression: ExpressionNode;
  alias?: string;
}

export interface OrderNode {
  expression: ExpressionNode;
  descending: boolean;
}

export interface LockNode {
  nowait: boolean;
  skipLocked: boolean;
  of: string[];
}

/** A common table expression: `name as (query)`, or a recursive union. */
export interface CteNode {
  name: string;
  columns: string[];
  query: SelectNode;
  /** For WITH RECURSIVE: the part that reads the CTE itself, joined by UNION ALL. */
  recursive: SelectNode | undefined;
}

export interface SelectNode {
  kind: "select";
  /** Common table expressions declared before the SELECT. */
  ctes?: CteNode[];
  table: string;
  alias: string;
  columns: SelectColumn[];
  joins: JoinNode[];
  where: WhereNode | undefined;
  groupBy: ExpressionNode[];
  having: WhereNode | undefined;
  orderBy: OrderNode[];
  limit: number | undefined;
  offset: number | undefined;
  distinct: boolean;
  lock: LockNode | undefined;
}

/** What an INSERT does with a row that collides with an existing unique key. */
export interface OnConflictNode {
  /** Columns of the unique key (or primary key) that detects the conflict. */
  target: string[];
  /** Columns set from the proposed row on conflict; empty means keep the existing row. */
  update: string[];
  /** The primary key column, which MySQL sets to itself to ignore a conflict. */
  primaryKey: string;
}

export interface InsertNode {
  kind: "insert";
  table: string;
  columns: string[];
  /** One list of values per row, in column order. */
  rows: ExpressionNode[][];
  returning: string[];
  onConflict?: OnConflictNode;
}

export interface UpdateNode {
  kind: "update";
  table: string;
  set: { column: string; value: ExpressionNode }[];
  where: WhereNode | undefined;
  returning: string[];
}

export interface DeleteNode {
  kind: "delete";
  table: string;
  where: WhereNode | undefined;
  returning: string[];
}

export type StatementNode = SelectNode | InsertNode | UpdateNode | DeleteNode;

export function column(table: string | undefined, name: string, field?: Field): ColumnNode {
  return { kind: "column", table, column: name, field };
}

export function value(item: unknown, field?: Field): ValueNode {
  return { kind: "value", value: item, field };
}

export function and(items: (WhereNode | undefined)[]): WhereNode | undefined {
  const present = items.filter((item): item is WhereNode => item !== undefined);

  if (present.length === 0) {
    return undefined;
  }

  return present.length === 1 ? present[0] : { kind: "and", items: present };
}

export function emptySelect(table: string, alias: string): SelectNode {
  return {
    kind: "select",
    table,
    alias,
    columns: [],
    joins: [],
    where: undefined,
    groupBy: [],
    having: undefined,
    orderBy: [],
    limit: undefined,
    offset: undefined,
    distinct: false,
    lock: undefined,
  };
}

/**
 * The query AST: plain data that QuerySets build and compilers read.
 * Compilers never see a QuerySet, and QuerySets never build SQL text.
 */
import type { Field } from "./fields.js";
import type { LookupName } from "./types.js";

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
}

export interface SubqueryNode {
  kind: "subquery";
  query: SelectNode;
}

export type ExpressionNode =
  | ColumnNode
  | ValueNode
  | RawNode
  | FuncNode
  | AggregateNode
  | SubqueryNode;

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

export interface ExistsNode {
  kind: "exists";
  query: SelectNode;
}

export interface InSubqueryNode {
  kind: "inSubquery";
  lhs: ExpressionNode;
  query: SelectNode;
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
  | RawWhereNode;

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

export interface SelectNode {
  kind: "select";
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

export interface InsertNode {
  kind: "insert";
  table: string;
  columns: string[];
  /** One list of values per row, in column order. */
  rows: ExpressionNode[][];
  returning: string[];
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

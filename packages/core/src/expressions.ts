import type { ExpressionNode } from "./ast.js";
import type { Scope } from "./query-builder.js";

const EXPRESSION = Symbol.for("chakra-orm.expression");

/** Something that compiles to an SQL expression in a query's scope. */
export interface Expression {
  readonly [EXPRESSION]: true;
  toNode(scope: Scope): ExpressionNode;
}

export function isExpression(item: unknown): item is Expression {
  return (
    typeof item === "object" &&
    item !== null &&
    (item as Record<symbol, unknown>)[EXPRESSION] === true
  );
}

export const EXPRESSION_BRAND: typeof EXPRESSION = EXPRESSION;

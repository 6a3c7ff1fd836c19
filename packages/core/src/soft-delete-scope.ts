/**
 * The default scope of SoftDelete models, kept free of imports so the
 * QuerySet can use it without a module cycle.
 */
import type { QNode } from "./q.js";

/** Static property that names a model's soft-delete field. */
export const SOFT_DELETE_FIELD = Symbol.for("chakra-orm.soft-delete-field");

/** The rows of a SoftDelete model a query returns: live, all, or deleted only. */
export type DeletedRows = "hide" | "include" | "only";

/** Returns the soft-delete field name of a model class, if it has one. */
export function softDeleteField(model: unknown): string | undefined {
  const name = (model as Record<symbol, unknown> | undefined)?.[SOFT_DELETE_FIELD];

  return typeof name === "string" ? name : undefined;
}

/** Returns the condition that applies `mode`, or undefined when none does. */
export function softDeleteCondition(model: unknown, mode: DeletedRows): QNode | undefined {
  const name = softDeleteField(model);

  if (name === undefined || mode === "include") {
    return undefined;
  }

  return { kind: "leaf", conditions: { [`${name}__isnull`]: mode === "hide" } };
}

/**
 * Lookups that a field kind declares beyond the standard ones: `matches` on
 * a search field, `contains`, `contained_by` and `overlap` on arrays, and
 * JSON containment. Dialects compile the resulting nodes or raise
 * NotSupportedError.
 */
import type { WhereNode } from "./ast.js";
import { ValidationError, describeValue } from "./errors.js";
import { isExpression, type Expression } from "./expressions.js";
import type { Field } from "./fields.js";
import type { ResolvedColumn, Scope } from "./query-builder.js";
import { buildSearchMatch } from "./search.js";

/** JSON lookups besides key paths; `contains` with a string stays a text lookup. */
const JSON_LOOKUPS = new Set(["contains", "contained_by", "has_key"]);

/** Builds `search__matches` when the first part of `key` names a search field. */
export function searchLookup(scope: Scope, key: string, item: unknown): WhereNode | undefined {
  const [root, ...parts] = key.split("__");
  const field = scope.meta.fieldsByName.get(root!);

  if (field?.kind !== "search") {
    return undefined;
  }

  return buildSearchMatch(scope, key, field, parts, item);
}

/**
 * Builds the node of a declared lookup on a resolved column, or returns
 * undefined when `resolved.rest` is a standard lookup or a JSON key path.
 */
export function declaredLookup(scope: Scope, key: string, resolved: ResolvedColumn, item: unknown): WhereNode | undefined {
  const { field, rest } = resolved;

  if (rest.length !== 1) {
    return undefined;
  }

  const lookup = rest[0]!;
  const declared = (field.options.lookups as readonly string[] | undefined) ?? [];
  const isJsonExtra = field.kind === "json" && JSON_LOOKUPS.has(lookup) && !(lookup === "contains" && typeof item === "string");

  if (!declared.includes(lookup) && !isJsonExtra) {
    return undefined;
  }

  checkValue(scope, key, field, lookup, item);
  const value = isExpression(item) ? (item as Expression).toNode(scope) : item;

  return { kind: "fieldLookup", lookup, lhs: resolved.column, value, field };
}

function checkValue(scope: Scope, key: string, field: Field, lookup: string, item: unknown): void {
  const invalid = (expected: string) =>
    new ValidationError(`${scope.caller}: invalid value ${describeValue(item)} for "${key}": expected ${expected}.`, {
      model: scope.meta.name,
      field: field.name,
      value: item,
    });

  if (item === null || item === undefined) {
    throw invalid("a value (NULL matches nothing here; use __isnull)");
  }

  if (field.kind === "array" && !Array.isArray(item) && !isExpression(item)) {
    throw invalid("an array");
  }

  if (lookup === "has_key" && typeof item !== "string") {
    throw invalid("a key name (string)");
  }
}

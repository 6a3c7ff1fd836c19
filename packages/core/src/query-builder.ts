/**
 * Turns QuerySet state into AST nodes: resolves field paths to columns,
 * joins single-valued relations, and turns conditions across multi-valued
 * relations into EXISTS subqueries so rows and counts never duplicate.
 */
import {
  and,
  column,
  emptySelect,
  type ColumnNode,
  type ExpressionNode,
  type JoinNode,
  type LookupNode,
  type OrderNode,
  type SelectNode,
  type WhereNode,
} from "./ast.js";
import { ValidationError, describeValue } from "./errors.js";
import { validateValue } from "./validate.js";
import { type Field, ForeignKeyField, ManyToManyField, ReverseField, storageField } from "./fields.js";
import type { ModelMeta, ReverseRelation } from "./model-meta.js";
import { Model } from "./model.js";
import { type QNode } from "./q.js";
import type { LookupName } from "./types.js";
import { OrderTerm, isExpression, isQuerySource, subqueryFor, type Expression } from "./expressions.js";
import { declaredLookup, searchLookup } from "./field-lookups.js";
import { SqlBuilder, type SqlCompiler } from "./compiler.js";

const LOOKUPS: ReadonlySet<string> = new Set<LookupName>([
  "exact",
  "iexact",
  "contains",
  "icontains",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "in",
  "gt",
  "gte",
  "lt",
  "lte",
  "range",
  "isnull",
  "regex",
  "iregex",
  "year",
  "month",
  "day",
]);

const TEXT_LOOKUPS = new Set([
  "iexact",
  "contains",
  "icontains",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "regex",
  "iregex",
]);

const DATE_PARTS = new Set(["year", "month", "day"]);

export function isLookupName(name: string): name is LookupName {
  return LOOKUPS.has(name);
}

/** Hands out table aliases unique within one statement. */
export class AliasCounter {
  #next = 1;

  next(prefix: string): string {
    return `${prefix}${this.#next++}`;
  }
}

/** The tables one SELECT (or subquery) can see, with the joins made so far. */
export class Scope {
  readonly joins: JoinNode[] = [];
  readonly #joinsByPath = new Map<string, { alias: string; meta: ModelMeta }>();
  /** Annotations by name, so filters and orderings can refer to them. */
  readonly annotations = new Map<string, { node: ExpressionNode; aggregate: boolean }>();
  /** True when the query groups rows (values().annotate() with aggregates). */
  grouped = false;
  /** Set while building one condition that reads an aggregate, so it goes to HAVING. */
  usedAggregate = false;
  /** Aliases of CTEs joined into this scope, by CTE name. */
  readonly cteAliases = new Map<string, string>();

  constructor(
    readonly meta: ModelMeta,
    readonly alias: string,
    readonly aliases: AliasCounter,
    readonly caller: string,
    /** The enclosing query's scope, which OuterRef reads. */
    readonly parent?: Scope,
  ) {}

  /**
   * Joins a single-valued relation reached by `path` from `fromAlias`, once.
   * A left join keeps rows whose key is NULL, so filters keep SQL semantics.
   */
  joinForward(
    path: string,
    fromAlias: string,
    item: ForeignKeyField,
    type: "inner" | "left" = "left",
  ): { alias: string; meta: ModelMeta } {
    const existing = this.#joinsByPath.get(path);

    if (existing) {
      return existing;
    }

    const target = item.targetModel.$meta;
    target.resolve();
    const alias = this.aliases.next("j");
    this.joins.push({
      type,
      table: target.table,
      alias,
      on: {
        kind: "lookup",
        lookup: "exact",
        lhs: column(alias, target.pk.column),
        value: column(fromAlias, item.column),
        field: undefined,
      },
    });
    const joined = { alias, meta: target };
    this.#joinsByPath.set(path, joined);

    return joined;
  }

  /** Joins the reverse side of a one-to-one relation. */
  joinReverseOne(
    path: string,
    fromAlias: string,
    relation: ReverseRelation,
  ): { alias: string; meta: ModelMeta } {
    const existing = this.#joinsByPath.get(path);

    if (existing) {
      return existing;
    }

    const source = relation.source;
    const alias = this.aliases.next("j");
    const fromMeta = relation.forward.targetModel.$meta;
    this.joins.push({
      type: "left",
      table: source.table,
      alias,
      on: {
        kind: "lookup",
        lookup: "exact",
        lhs: column(alias, relation.forward.column),
        value: column(fromAlias, fromMeta.pk.column),
        field: undefined,
      },
    });
    const joined = { alias, meta: source };
    this.#joinsByPath.set(path, joined);

    return joined;
  }
}

/** Result of walking a field path up to a column. */
export interface ResolvedColumn {
  column: ColumnNode;
  field: Field;
  /** Path parts after the column: lookups or JSON keys. */
  rest: string[];
}

function unknownFieldError(
  scope: Scope,
  meta: ModelMeta,
  part: string,
  key: string,
): ValidationError {
  const names = meta.fieldNames.join(", ");

  return new ValidationError(
    `${scope.caller}: unknown field "${part}" in "${key}". ${meta.name}'s fields are ${names}. Check the spelling or add the field to the model.`,
    { model: meta.name, field: part, value: key },
  );
}

/** Finds a reverse relation by name, resolving the other models first. */
export function reverseRelation(meta: ModelMeta, name: string): ReverseRelation | undefined {
  meta.resolve();

  return meta.reverse.get(name);
}

/**
 * Walks `parts` through single-valued relations (adding joins) and returns
 * the column reached. Multi-valued relations are not allowed here; use
 * `buildConditions` for filters that cross them.
 */
export function resolveColumn(scope: Scope, key: string): ResolvedColumn {
  const parts = key.split("__");
  let meta = scope.meta;
  let alias = scope.alias;
  let path = "";

  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    const item = meta.field(part);
    path = path ? `${path}__${part}` : part;

    if (item instanceof ForeignKeyField) {
      const isIdAttribute = part !== item.name;
      const next = parts[index + 1];

      if (isIdAttribute || next === undefined || isLookupName(next) || next === item.targetModel.$meta.pk.name && parts.length === index + 2) {
        const rest = next === item.targetModel.$meta.pk.name ? parts.slice(index + 2) : parts.slice(index + 1);

        return { column: column(alias, item.column, item), field: item, rest };
      }

      ({ alias, meta } = scope.joinForward(path, alias, item));
      continue;
    }

    if (item && item.hasColumn) {
      return { column: column(alias, item.column, item), field: item, rest: parts.slice(index + 1) };
    }

    const reverse = reverseRelation(meta, part);

    if (reverse && !reverse.multiple && reverse.forward instanceof ForeignKeyField) {
      ({ alias, meta } = scope.joinReverseOne(path, alias, reverse));

      if (index === parts.length - 1) {
        return { column: column(alias, meta.pk.column, meta.pk), field: meta.pk, rest: [] };
      }

      continue;
    }

    if (reverse || item) {
      throw new ValidationError(
        `${scope.caller}: "${key}" crosses the multi-valued relation "${part}", which can't be used here. Filter on it, or use prefetchRelated("${part}").`,
        { model: meta.name, field: part },
      );
    }

    throw unknownFieldError(scope, meta, part, key);
  }

  throw unknownFieldError(scope, meta, key, key);
}

/** Builds the WHERE tree for a Q tree; `negated` marks an exclude(). */
export function buildWhere(scope: Scope, node: QNode): WhereNode | undefined {
  switch (node.kind) {
    case "leaf":
      return and(buildConditions(scope, node.conditions));
    case "and":
      return and(node.children.map((child) => buildWhere(scope, child)));
    case "or": {
      const items = node.children
        .map((child) => buildWhere(scope, child))
        .filter((item): item is WhereNode => item !== undefined);

      if (items.length === 0) {
        return undefined;
      }

      return items.length === 1 ? items[0] : { kind: "or", items };
    }
    case "not": {
      const inner = buildWhere(scope, node.child);

      if (!inner) {
        return undefined;
      }

      // A JSON key that is missing or NULL makes its comparison unknown,
      // which NOT keeps unknown; IS NOT TRUE counts such rows as excluded
      // from the match, as exclude() does for a NULL column.
      if (containsJsonLookup(inner)) {
        return { kind: "notTrue", item: inner };
      }

      return { kind: "not", item: nullSafe(inner, scope.alias) };
    }
  }
}

/**
 * Makes a negated lookup on a nullable column (or one reached through a
 * left join) keep SQL NULL out of the result: NOT (x = 1) is NULL for a
 * NULL x, so exclude() adds IS NOT NULL and such rows come back.
 */
function containsJsonLookup(node: WhereNode): boolean {
  if (node.kind === "jsonLookup") {
    return true;
  }

  if (node.kind === "and" || node.kind === "or") {
    return node.items.some(containsJsonLookup);
  }

  return node.kind === "not" || node.kind === "notTrue" ? containsJsonLookup(node.item) : false;
}

function nullSafe(node: WhereNode, baseAlias: string): WhereNode {
  const nullable =
    node.kind === "lookup" &&
    node.lhs.kind === "column" &&
    (node.field?.nullable === true || node.lhs.table !== baseAlias);

  if (node.kind === "lookup" && node.lookup !== "isnull" && nullable) {
    return {
      kind: "and",
      items: [node, { kind: "lookup", lookup: "isnull", lhs: node.lhs, value: false, field: node.field }],
    };
  }

  if (node.kind === "and" || node.kind === "or") {
    return { kind: node.kind, items: node.items.map((item) => nullSafe(item, baseAlias)) };
  }

  return node;
}

interface MultiGroup {
  fromAlias: string;
  fromMeta: ModelMeta;
  relation: ManyRelation;
  conditions: Record<string, unknown>;
}

/** A multi-valued relation, seen from the side a filter starts on. */
export interface ManyRelation {
  name: string;
  target: ModelMeta;
  /** For a reverse FK: the FK on the target. For m2m: the through model's keys. */
  kind: "reverseForeignKey" | "manyToMany";
  foreignKey: ForeignKeyField | undefined;
  throughMeta: ModelMeta | undefined;
  /** Through column that points at the side the filter starts on. */
  fromColumn: string | undefined;
  /** Through column that points at the target side. */
  toColumn: string | undefined;
}

/** Describes the multi-valued relation `name` of `meta`, if it is one. */
export function manyRelation(meta: ModelMeta, name: string): ManyRelation | undefined {
  meta.resolve();
  const item = meta.fieldsByName.get(name);

  if (item instanceof ManyToManyField) {
    return {
      name,
      target: item.targetModel.$meta,
      kind: "manyToMany",
      foreignKey: undefined,
      throughMeta: item.throughModel!.$meta,
      fromColumn: item.sourceKey!.column,
      toColumn: item.targetKey!.column,
    };
  }

  const reverse = item instanceof ReverseField ? meta.reverse.get(name) : meta.reverse.get(name);

  if (!reverse || !reverse.multiple) {
    return undefined;
  }

  if (reverse.forward instanceof ManyToManyField) {
    return {
      name,
      target: reverse.source,
      kind: "manyToMany",
      foreignKey: undefined,
      throughMeta: reverse.forward.throughModel!.$meta,
      fromColumn: reverse.forward.targetKey!.column,
      toColumn: reverse.forward.sourceKey!.column,
    };
  }

  return {
    name,
    target: reverse.source,
    kind: "reverseForeignKey",
    foreignKey: reverse.forward,
    throughMeta: undefined,
    fromColumn: undefined,
    toColumn: undefined,
  };
}

/**
 * Builds one condition per key. Keys that cross the same multi-valued
 * relation share one EXISTS, so `{ tags__name: "a", tags__slug: "b" }`
 * needs one tag with both values, as in Django.
 */
export function buildConditions(
  scope: Scope,
  conditions: Record<string, unknown>,
): WhereNode[] {
  const result: WhereNode[] = [];
  const groups = new Map<string, MultiGroup>();

  for (const [key, item] of Object.entries(conditions)) {
    if (item === undefined) {
      throw new ValidationError(
        `${scope.caller}: the value of "${key}" is undefined. Pass null to match NULL, or leave the key out.`,
        { model: scope.meta.name, field: key },
      );
    }

    const split = splitAtManyRelation(scope, key);

    if (!split) {
      result.push(buildLookup(scope, key, item));
      continue;
    }

    const groupKey = `${split.fromAlias}.${split.relation.name}`;
    let group = groups.get(groupKey);

    if (!group) {
      group = { ...split, conditions: {} };
      groups.set(groupKey, group);
    }

    group.conditions[split.rest] = item;
  }

  for (const group of groups.values()) {
    result.push(buildExists(scope, group));
  }

  return result;
}

export function splitAtManyRelation(
  scope: Scope,
  key: string,
): { fromAlias: string; fromMeta: ModelMeta; relation: ManyRelation; rest: string } | undefined {
  const parts = key.split("__");
  let meta = scope.meta;
  let alias = scope.alias;
  let path = "";

  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    path = path ? `${path}__${part}` : part;
    const relation = manyRelation(meta, part);

    if (relation) {
      return { fromAlias: alias, fromMeta: meta, relation, rest: parts.slice(index + 1).join("__") };
    }

    const item = meta.field(part);

    if (item instanceof ForeignKeyField && part === item.name) {
      const next = parts[index + 1];
      // `author__id` reads the key column itself, as resolveColumn does, so no join.
      const keyOnly = next === item.targetModel.$meta.pk.name && parts.length === index + 2;

      if (next === undefined || isLookupName(next) || keyOnly) {
        return undefined;
      }

      ({ alias, meta } = scope.joinForward(path, alias, item));
      continue;
    }

    const reverse = item ? undefined : reverseRelation(meta, part);

    if (reverse && !reverse.multiple && index < parts.length - 1) {
      ({ alias, meta } = scope.joinReverseOne(path, alias, reverse));
      continue;
    }

    return undefined;
  }

  return undefined;
}

/**
 * Starts a SELECT over the rows of a multi-valued relation that belong to
 * the current row of `fromAlias`: the correlation condition plus, for a
 * many-to-many, the join through the link table.
 */
export function correlatedSelect(
  scope: Scope,
  fromAlias: string,
  fromMeta: ModelMeta,
  relation: ManyRelation,
): { select: SelectNode; sub: Scope; correlation: WhereNode } {
  const target = relation.target;
  target.resolve();
  const alias = scope.aliases.next("s");
  const sub = new Scope(target, alias, scope.aliases, scope.caller, scope);
  const select = emptySelect(target.table, alias);
  let correlation: WhereNode;

  if (relation.kind === "reverseForeignKey") {
    correlation = {
      kind: "lookup",
      lookup: "exact",
      lhs: column(alias, relation.foreignKey!.column),
      value: column(fromAlias, fromMeta.pk.column),
      field: undefined,
    };
  } else {
    const throughAlias = scope.aliases.next("s");
    sub.joins.push({
      type: "inner",
      table: relation.throughMeta!.table,
      alias: throughAlias,
      on: {
        kind: "lookup",
        lookup: "exact",
        lhs: column(throughAlias, relation.toColumn!),
        value: column(alias, target.pk.column),
        field: undefined,
      },
    });
    correlation = {
      kind: "lookup",
      lookup: "exact",
      lhs: column(throughAlias, relation.fromColumn!),
      value: column(fromAlias, fromMeta.pk.column),
      field: undefined,
    };
  }

  return { select, sub, correlation };
}

function buildExists(scope: Scope, group: MultiGroup): WhereNode {
  const { relation, fromAlias, fromMeta } = group;
  const target = relation.target;
  const { select, sub, correlation } = correlatedSelect(scope, fromAlias, fromMeta, relation);
  let negate = false;
  const conditions: Record<string, unknown> = {};

  for (const [rest, item] of Object.entries(group.conditions)) {
    if (rest === "isnull") {
      negate = item === true;
      continue;
    }

    if (rest === "" || isLookupName(rest)) {
      conditions[rest === "" ? target.pk.name : `${target.pk.name}__${rest}`] = item;
      continue;
    }

    conditions[rest] = item;
  }

  const inner = buildConditions(sub, conditions);
  select.joins = sub.joins;
  select.where = and([correlation, ...inner]);
  const exists: WhereNode = { kind: "exists", query: select };

  return negate ? { kind: "not", item: exists } : exists;
}

/** Builds the node for one `key: value` condition on a single-valued path. */
export function buildLookup(scope: Scope, key: string, item: unknown): WhereNode {
  const [root, ...lookupParts] = key.split("__");
  const annotation = scope.annotations.get(root!);

  if (annotation) {
    return annotationLookup(scope, key, annotation, lookupParts, item);
  }

  const search = searchLookup(scope, key, item);

  if (search) {
    return search;
  }

  const resolved = resolveColumn(scope, key);
  const declared = declaredLookup(scope, key, resolved, item);

  if (declared) {
    return declared;
  }

  const { field } = resolved;
  const rest = resolved.rest;

  if (field.kind === "json" && rest.length > 0) {
    const last = rest[rest.length - 1]!;
    const lookup = rest.length > 1 && isLookupName(last) ? last : "exact";
    const path = lookup === "exact" && !isLookupName(last) ? rest : rest.slice(0, -1);

    if (path.length === 0) {
      return lookupNode(scope, key, resolved.column, field, last as LookupName, item);
    }

    return { kind: "jsonLookup", lhs: resolved.column, path, lookup, value: item };
  }

  if (rest.length === 0) {
    return lookupNode(scope, key, resolved.column, field, item === null ? "isnull" : "exact", item === null ? true : item);
  }

  if (rest.length > 1 || !isLookupName(rest[0]!)) {
    throw new ValidationError(
      `${scope.caller}: unknown lookup "${rest.join("__")}" in "${key}" on ${field.label} (${field.kind}). Valid lookups are ${[...validLookups(field)].join(", ")}.`,
      { model: scope.meta.name, field: field.name, value: key },
    );
  }

  return lookupNode(scope, key, resolved.column, field, rest[0] as LookupName, item);
}

/** A plain lookup's SQL and parameters for one value; see leafBinder(). */
export type LeafBinder = (item: unknown) => SqlBuilder;

/**
 * Returns a function that compiles the lookup `key` for any value, with
 * the column resolved once. Each call runs the same value checks and
 * compiler code as a full build, so its parameters are the ones a full
 * build would bind. Returns undefined for keys whose SQL may depend on
 * more than the key: annotations, search fields, JSON fields, declared
 * lookups and many-valued relations.
 */
export function leafBinder(scope: Scope, key: string, compiler: SqlCompiler): LeafBinder | undefined {
  const root = key.split("__", 1)[0]!;

  if (scope.annotations.has(root) || scope.meta.fieldsByName.get(root)?.kind === "search" || splitAtManyRelation(scope, key)) {
    return undefined;
  }

  const { column: lhs, field, rest } = resolveColumn(scope, key);
  const named = rest[0];
  const declared = (field.options.lookups as readonly string[] | undefined) ?? [];

  if (field.kind === "json" || rest.length > 1 || (named !== undefined && (!isLookupName(named) || declared.includes(named)))) {
    return undefined;
  }

  return (item) => {
    const out = new SqlBuilder(compiler);
    const node =
      named === undefined
        ? lookupNode(scope, key, lhs, field, item === null ? "isnull" : "exact", item === null ? true : item)
        : lookupNode(scope, key, lhs, field, named as LookupName, item);
    compiler.where(out, node);

    return out;
  };
}

function annotationLookup(
  scope: Scope,
  key: string,
  annotation: { node: ExpressionNode; aggregate: boolean },
  parts: string[],
  item: unknown,
): WhereNode {
  if (annotation.node.kind === "window") {
    throw new ValidationError(
      `${scope.caller}: cannot filter on the window annotation in "${key}", because SQL computes window functions after WHERE. Filter the rows in JS, or wrap the query in a CTE.`,
      { model: scope.meta.name, value: key },
    );
  }

  if (annotation.aggregate) {
    scope.usedAggregate = true;
  }

  // A boolean annotation built from Exists filters as EXISTS itself.
  if (annotation.node.kind === "existsExpression" && parts.length === 0 && typeof item === "boolean") {
    const exists: WhereNode = { kind: "exists", query: annotation.node.query };

    return item ? exists : { kind: "not", item: exists };
  }

  const lookup = parts.length === 0 ? "exact" : parts[0]!;

  if (parts.length > 1 || !isLookupName(lookup)) {
    throw new ValidationError(
      `${scope.caller}: unknown lookup "${parts.join("__")}" in "${key}". Valid lookups are ${[...LOOKUPS].join(", ")}.`,
      { model: scope.meta.name, value: key },
    );
  }

  if (item === null && lookup === "exact") {
    return { kind: "lookup", lookup: "isnull", lhs: annotation.node, value: true, field: undefined };
  }

  const value = isExpression(item) ? (item as Expression).toNode(scope) : item;

  return { kind: "lookup", lookup, lhs: annotation.node, value, field: undefined };
}

const lookupsByKind = new Map<string, ReadonlySet<string>>();

/** Returns the lookups a field accepts, building one set per field kind on first use. */
function validLookups(field: Field): ReadonlySet<string> {
  let found = lookupsByKind.get(field.kind);

  if (!found) {
    found = lookupsForKind(field);
    lookupsByKind.set(field.kind, found);
  }

  return found;
}

function lookupsForKind(field: Field): Set<string> {
  const names = new Set(["exact", "in", "isnull", "gt", "gte", "lt", "lte", "range"]);

  if (["string", "text", "enum", "uuid", "json"].includes(field.kind)) {
    TEXT_LOOKUPS.forEach((name) => names.add(name));
  }

  if (field.kind === "dateTime" || field.kind === "date") {
    DATE_PARTS.forEach((name) => names.add(name));
  }

  return names;
}

function lookupNode(
  scope: Scope,
  key: string,
  lhs: ColumnNode,
  field: Field,
  lookup: LookupName,
  item: unknown,
): LookupNode | WhereNode {
  if (!validLookups(field).has(lookup)) {
    throw new ValidationError(
      `${scope.caller}: the lookup "${lookup}" in "${key}" does not apply to ${field.label} (${field.kind}). Valid lookups are ${[...validLookups(field)].join(", ")}.`,
      { model: scope.meta.name, field: field.name, value: key },
    );
  }

  if (lookup === "in" && isQuerySource(item)) {
    return { kind: "inSubquery", lhs, query: subqueryFor(scope, item) };
  }

  const value = normalizeLookupValue(scope, key, field, lookup, item);

  if (lookup === "exact" && value === null) {
    return { kind: "lookup", lookup: "isnull", lhs, value: true, field };
  }

  return { kind: "lookup", lookup, lhs, value, field };
}

function normalizeLookupValue(
  scope: Scope,
  key: string,
  field: Field,
  lookup: LookupName,
  item: unknown,
): unknown {
  const invalid = (expected: string) =>
    new ValidationError(
      `${scope.caller}: invalid value ${describeValue(item)} for "${key}": expected ${expected}.`,
      { model: scope.meta.name, field: field.name, value: item },
    );
  const textProblem = malformedText(item);

  // PostgreSQL rejects NUL in text parameters and mysql2 replaces lone
  // surrogates, so such a filter would fail on the server or match other text.
  if (textProblem !== undefined) {
    throw invalid(textProblem);
  }

  switch (lookup) {
    case "isnull":
      if (typeof item !== "boolean") {
        throw invalid("true or false");
      }

      return item;
    case "in":
      if (!Array.isArray(item)) {
        throw invalid("an array");
      }

      return item.map((entry) => comparableValue(field, relationValue(entry), invalid));
    case "range":
      if (!Array.isArray(item) || item.length !== 2) {
        throw invalid("a pair [low, high]");
      }

      return item.map((entry) => comparableValue(field, relationValue(entry), invalid));
    case "year":
    case "month":
    case "day":
      if (!Number.isInteger(item)) {
        throw invalid("a whole number");
      }

      return item;
    default:
      if (TEXT_LOOKUPS.has(lookup)) {
        if (typeof item !== "string") {
          throw invalid("a string");
        }

        return item;
      }

      if (isExpression(item)) {
        return (item as Expression).toNode(scope);
      }

      // SQL compares NULL as unknown, so `views__gte: null` would match
      // nothing without saying why.
      if (item === null && lookup !== "exact") {
        throw invalid(`a value; "${lookup}" cannot compare with null (use isnull)`);
      }

      return comparableValue(field, relationValue(item), invalid);
  }
}

const BIG_INTEGER_TEXT = /^[+-]?\d+$/;

/**
 * Rejects a comparison value that the drivers would misread: better-sqlite3
 * binds a plain object as named parameters, and a bigInteger column's value
 * must convert to a BigInt.
 */
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/**
 * Checks a filter value against its field's type before any SQL is sent.
 * Databases coerce mismatched types in their own ways (MySQL reads "1abc"
 * as 1 and any word as 0), so a wrong type could match the wrong rows.
 */
function comparableValue(field: Field, item: unknown, invalid: (expected: string) => ValidationError): unknown {
  const kind = storageField(field).kind;

  if (item === null || item === undefined || kind === "json" || kind === "array") {
    return item;
  }

  if (typeof item === "object" && !(item instanceof Date) && !(item instanceof Uint8Array)) {
    throw invalid(`a single ${kind} value, not an object or array`);
  }

  switch (kind) {
    case "id":
    case "integer":
    case "version":
    case "float":
      if ((typeof item !== "number" || !Number.isFinite(item)) && typeof item !== "bigint") {
        throw invalid("a finite number");
      }

      return item;
    case "bigInteger": {
      const convertible =
        typeof item === "bigint" ||
        (typeof item === "number" && Number.isSafeInteger(item)) ||
        (typeof item === "string" && BIG_INTEGER_TEXT.test(item));

      if (!convertible) {
        throw invalid("a bigint, a safe integer or a string of digits");
      }

      return item;
    }
    case "decimal":
      return decimalFilterValue(field, item, invalid);
    case "boolean":
      if (typeof item !== "boolean") {
        throw invalid("true or false");
      }

      return item;
    case "dateTime":
      if (!(item instanceof Date) || Number.isNaN(item.getTime())) {
        throw invalid("a valid Date");
      }

      return item;
    case "binary":
      if (!(item instanceof Uint8Array)) {
        throw invalid("a Uint8Array or Buffer");
      }

      return item;
    case "string":
    case "text":
    case "enum":
    case "uuid":
    case "date":
    case "time":
      if (typeof item !== "string") {
        throw invalid("a string");
      }

      return item;
    default:
      return item;
  }
}

/**
 * Writes decimals in the canonical form that saves use ("1.5000" becomes
 * "1.5"), so that SQLite, which stores them as text, finds equal values.
 */
function decimalFilterValue(field: Field, item: unknown, invalid: (expected: string) => ValidationError): unknown {
  const text = typeof item === "number" && Number.isFinite(item) ? String(item) : item;

  if (typeof text !== "string" || !DECIMAL_TEXT.test(text.trim())) {
    throw invalid('a decimal string such as "12.50"');
  }

  try {
    return validateValue(field, text);
  } catch {
    // More digits than the field holds: no stored value equals it, but it
    // still orders against them, so it is compared as given.
    return text.trim();
  }
}

/** Describes why a string, or a string in an array, cannot be sent as text. */
function malformedText(item: unknown): string | undefined {
  const items = Array.isArray(item) ? item : [item];

  for (const entry of items) {
    if (typeof entry !== "string") {
      continue;
    }

    if (entry.includes("\u0000")) {
      return "text without NUL characters";
    }

    if (!(entry as string & { isWellFormed(): boolean }).isWellFormed()) {
      return "well-formed Unicode text without lone surrogates";
    }
  }

  return undefined;
}

function relationValue(item: unknown): unknown {
  return item instanceof Model ? item.pk : item;
}

/** Parses ordering keys (`-publishedAt`, `author__username`) into AST nodes. */
export function buildOrdering(
  scope: Scope,
  keys: readonly (string | OrderTerm | Expression)[],
  annotations?: ReadonlyMap<string, ExpressionNode>,
): OrderNode[] {
  return keys.map((key) => {
    if (key instanceof OrderTerm) {
      return { expression: key.expression.toNode(scope), descending: key.descending };
    }

    if (isExpression(key)) {
      return { expression: key.toNode(scope), descending: false };
    }

    if (typeof key !== "string" || key.length === 0) {
      throw new ValidationError(
        `${scope.caller}: invalid ordering ${describeValue(key)}. Pass field names, with a leading "-" for descending order.`,
        { model: scope.meta.name, value: key },
      );
    }

    const descending = key.startsWith("-");
    const name = descending ? key.slice(1) : key;
    const annotated = annotations?.get(name) ?? scope.annotations.get(name)?.node;

    if (annotated) {
      return { expression: annotated, descending };
    }

    const resolved = resolveColumn(scope, name);

    if (resolved.rest.length > 0) {
      throw new ValidationError(
        `${scope.caller}: cannot order by "${key}": lookups are not allowed in an ordering. Name a field such as "${name.split("__")[0]}".`,
        { model: scope.meta.name, value: key },
      );
    }

    return { expression: resolved.column, descending };
  });
}

/** Starts a SELECT from the model's table, or from a CTE of its rows named `source`. */
export function newSelect(meta: ModelMeta, caller: string, source = meta.table): { select: SelectNode; scope: Scope } {
  meta.resolve();
  const scope = new Scope(meta, source, new AliasCounter(), caller);

  return { select: emptySelect(source, source), scope };
}

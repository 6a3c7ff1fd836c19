/**
 * Compiled SELECTs by query shape. Two queries have the same shape when
 * they differ only in the values they compare with: the same model,
 * method, condition keys and value types, ordering, related paths and
 * slice bounds. A shape compiles once, and later queries of that shape bind
 * their values into the stored SQL and skip building and compiling.
 *
 * The cache checks itself. When a shape is first compiled, each condition
 * is compiled again on its own (see leafBinder) and the parameters must
 * match the full statement's, in order and all distinct, or the shape is
 * not stored. On every hit, each condition's SQL must equal the stored
 * one, or the query takes the full path and its statement replaces the
 * stored one.
 */
import type { SqlBuilder, SqlCompiler } from "./compiler.js";
import type { CompiledQuery } from "./dialect.js";
import type { HydrationPlan } from "./hydrate.js";
import type { ModelMeta } from "./model-meta.js";
import type { QNode } from "./q.js";
import { SqlBuilder as Builder } from "./compiler.js";
import { leafBinder, newSelect, type LeafBinder } from "./query-builder.js";

/** A field path, lookup or ordering key the cache accepts in a shape key. */
const PLAIN_NAME = /^-?[A-Za-z_][A-Za-z0-9_]*$/;
/** Shapes kept per model and compiler; the map is emptied when it fills. */
const SHAPES_PER_MODEL = 256;
/** Statements with more parameters than this are not cached. */
const MAX_PARAMETERS = 64;

/** The parts of a query, besides its conditions, that make up its shape. */
export interface ShapeParts {
  method: string;
  filters: readonly QNode[];
  ordering: readonly unknown[];
  selectRelated: readonly string[];
  distinct: boolean;
  deleted: string;
  limit: number | undefined;
  offset: number | undefined;
}

/** A query's shape key, and its condition keys and values in build order. */
export interface Shape {
  key: string;
  keys: string[];
  values: unknown[];
  limit: number | undefined;
  offset: number | undefined;
}

interface CachedSelect {
  sql: string;
  plan: HydrationPlan;
  bigintColumns: number[];
  binders: LeafBinder[];
  /** Each condition's SQL when the shape was stored. */
  fragments: string[];
  /** The LIMIT and OFFSET SQL when the shape was stored. */
  tail: string;
}

/** A compiled SELECT with what hydrating its rows needs. */
export interface PreparedSelect {
  query: CompiledQuery;
  plan: HydrationPlan;
  bigintColumns: number[];
}

/** Stored shapes per compiler and model. A null entry marks a shape that cannot be cached. */
const CACHE = new WeakMap<SqlCompiler, WeakMap<ModelMeta, Map<string, CachedSelect | null>>>();

function shapesFor(compiler: SqlCompiler, meta: ModelMeta): Map<string, CachedSelect | null> {
  let byMeta = CACHE.get(compiler);

  if (!byMeta) {
    byMeta = new WeakMap();
    CACHE.set(compiler, byMeta);
  }

  let shapes = byMeta.get(meta);

  if (!shapes) {
    shapes = new Map();
    byMeta.set(meta, shapes);
  }

  return shapes;
}

/** Returns a one-letter type of a condition value, or undefined if its SQL could depend on more. */
function valueType(item: unknown): string | undefined {
  switch (typeof item) {
    case "string":
      return "s";
    case "number":
      return "n";
    case "boolean":
      // isnull and soft-delete lookups write different SQL for each value.
      return item ? "t" : "f";
    case "bigint":
      return "g";
    case "object":
      if (item === null) {
        return "z";
      }

      if (item instanceof Date) {
        return "d";
      }

      if (Array.isArray(item)) {
        // A list longer than the statement limit is never stored, so it
        // does not get a key as long as itself either.
        if (item.length > MAX_PARAMETERS) {
          return undefined;
        }

        let types = "";

        for (const entry of item) {
          const type = entry === null || typeof entry === "object" ? undefined : valueType(entry);

          if (type === undefined) {
            return undefined;
          }

          types += type;
        }

        return `[${types}]`;
      }

      return undefined;
    default:
      return undefined;
  }
}

/** Appends the shape of one condition tree to `out`. Returns false if it cannot be cached. */
function describeNode(node: QNode, out: { key: string; keys: string[]; values: unknown[] }): boolean {
  switch (node.kind) {
    case "leaf": {
      out.key += "{";

      for (const key in node.conditions) {
        const item = node.conditions[key];
        const type = PLAIN_NAME.test(key) ? valueType(item) : undefined;

        if (type === undefined) {
          return false;
        }

        out.key += `${key}:${type},`;
        out.keys.push(key);
        out.values.push(item);
      }

      out.key += "}";

      return true;
    }
    case "and":
    case "or":
      out.key += node.kind === "and" ? "&(" : "|(";

      for (const child of node.children) {
        if (!describeNode(child, out)) {
          return false;
        }
      }

      out.key += ")";

      return true;
    case "not":
      out.key += "!(";

      if (!describeNode(node.child, out)) {
        return false;
      }

      out.key += ")";

      return true;
  }
}

/** Returns the shape of a query, or undefined when its SQL may depend on its values. */
export function describeShape(parts: ShapeParts): Shape | undefined {
  let ordering = "";

  for (const item of parts.ordering) {
    if (typeof item !== "string" || !PLAIN_NAME.test(item)) {
      return undefined;
    }

    ordering += `${item},`;
  }

  for (const path of parts.selectRelated) {
    if (!PLAIN_NAME.test(path)) {
      return undefined;
    }
  }

  const out = {
    key: `${parts.method}|${parts.deleted}|${parts.distinct ? "d" : ""}|${parts.selectRelated.join(",")}|${ordering}|${parts.limit === undefined ? "" : "l"}|${(parts.offset ?? 0) > 0 ? "o" : ""}|`,
    keys: [] as string[],
    values: [] as unknown[],
  };

  for (const node of parts.filters) {
    if (!describeNode(node, out)) {
      return undefined;
    }
  }

  return { key: out.key, keys: out.keys, values: out.values, limit: parts.limit, offset: parts.offset };
}

function limitTail(compiler: SqlCompiler, limit: number | undefined, offset: number | undefined): SqlBuilder {
  const out = new Builder(compiler);
  compiler.limitOffset(out, limit, offset);

  return out;
}

/**
 * Compares two bound parameters by value. Drivers may bind typed wrappers
 * (mysql2 gets `{ type, value }` for a LIMIT), which compare field by field.
 */
function sameParameter(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) {
    return true;
  }

  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime();
  }

  if (typeof a === "number" && typeof b === "number") {
    return Number.isNaN(a) && Number.isNaN(b);
  }

  if (depth > 1 || !isRecord(a) || !isRecord(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    return false;
  }

  const keys = Object.keys(a);

  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameParameter(a[key], b[key], depth + 1));
}

/** Returns true for an object compared by its fields: not an array, typed array or buffer. */
function isRecord(item: unknown): item is Record<string, unknown> {
  return typeof item === "object" && item !== null && !Array.isArray(item) && !ArrayBuffer.isView(item);
}

/** Binds a shape's values for a stored statement, or returns undefined if any condition's SQL differs. */
function bind(entry: CachedSelect, shape: Shape, compiler: SqlCompiler): unknown[] | undefined {
  const params: unknown[] = [];

  for (let index = 0; index < entry.binders.length; index += 1) {
    const out = entry.binders[index]!(shape.values[index]);

    if (out.sql !== entry.fragments[index]) {
      return undefined;
    }

    for (const item of out.params) {
      params.push(item);
    }
  }

  const tail = limitTail(compiler, shape.limit, shape.offset);

  if (tail.sql !== entry.tail) {
    return undefined;
  }

  for (const item of tail.params) {
    params.push(item);
  }

  return params;
}

/**
 * Tries to store a freshly compiled statement under its shape. Stores
 * null when a condition cannot be bound on its own, and nothing when the
 * parameters are ambiguous (two equal values), so a later query with
 * distinct values can store the shape.
 */
function store(
  shapes: Map<string, CachedSelect | null>,
  shape: Shape,
  meta: ModelMeta,
  caller: string,
  compiler: SqlCompiler,
  prepared: PreparedSelect,
): void {
  const { scope } = newSelect(meta, caller);
  const binders: LeafBinder[] = [];
  const fragments: string[] = [];
  const params: unknown[] = [];

  for (let index = 0; index < shape.keys.length; index += 1) {
    const binder = leafBinder(scope, shape.keys[index]!, compiler);

    if (!binder) {
      shapes.set(shape.key, null);

      return;
    }

    const out = binder(shape.values[index]);
    binders.push(binder);
    fragments.push(out.sql);
    params.push(...out.params);
  }

  const tail = limitTail(compiler, shape.limit, shape.offset);
  params.push(...tail.params);
  const actual = prepared.query.params;

  if (params.length !== actual.length || params.length > MAX_PARAMETERS || !params.every((item, index) => sameParameter(item, actual[index]))) {
    shapes.set(shape.key, null);

    return;
  }

  for (let first = 0; first < params.length; first += 1) {
    for (let second = first + 1; second < params.length; second += 1) {
      if (sameParameter(params[first], params[second])) {
        return;
      }
    }
  }

  if (shapes.size >= SHAPES_PER_MODEL) {
    shapes.clear();
  }

  shapes.set(shape.key, { sql: prepared.query.sql, plan: prepared.plan, bigintColumns: prepared.bigintColumns, binders, fragments, tail: tail.sql });
}

/**
 * Returns the SELECT for `parts`: from the cache when its shape is
 * stored, otherwise from `build`, storing the result when it can.
 */
export function cachedSelect(
  parts: ShapeParts,
  meta: ModelMeta,
  caller: string,
  compiler: SqlCompiler,
  build: () => PreparedSelect,
): PreparedSelect {
  const shape = describeShape(parts);

  if (!shape) {
    return build();
  }

  const shapes = shapesFor(compiler, meta);
  const entry = shapes.get(shape.key);

  if (entry) {
    const params = bind(entry, shape, compiler);

    if (params) {
      return { query: { sql: entry.sql, params }, plan: entry.plan, bigintColumns: entry.bigintColumns };
    }
  }

  const prepared = build();

  // A stored shape whose SQL no longer matches (the dialect learned
  // something about the server since) is replaced by the fresh build.
  if (entry !== null) {
    try {
      store(shapes, shape, meta, caller, compiler, prepared);
    } catch {
      // A condition that builds inside the full query but throws on its
      // own stays uncached.
      shapes.set(shape.key, null);
    }
  }

  return prepared;
}

/**
 * Turns array rows into model instances. Converters are computed once per
 * model and dialect, so hydration does no per-row reflection.
 */
import { column, type SelectNode } from "./ast.js";
import type { SqlCompiler } from "./compiler.js";
import type { Database } from "./database.js";
import { ValidationError } from "./errors.js";
import { ForeignKeyField } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, HYDRATING, attributeName, type Model } from "./model.js";
import type { Scope } from "./query-builder.js";
import { takeSnapshot } from "./snapshot.js";

type Reader = ((raw: unknown) => unknown) | null;

/** Attribute names and converters of one model's columns, for one dialect. */
export interface ModelReader {
  attributes: string[];
  readers: Reader[];
  /** Column positions that hold 64-bit integers. */
  bigintColumns: number[];
  /** Position of the primary key column, which is never NULL in a real row. */
  pkIndex: number;
}

const READER_CACHE = new WeakMap<SqlCompiler, WeakMap<ModelMeta, ModelReader>>();

export function modelReader(compiler: SqlCompiler, meta: ModelMeta): ModelReader {
  let byMeta = READER_CACHE.get(compiler);

  if (!byMeta) {
    byMeta = new WeakMap();
    READER_CACHE.set(compiler, byMeta);
  }

  let reader = byMeta.get(meta);

  if (!reader) {
    reader = {
      attributes: meta.columnFields.map(attributeName),
      readers: meta.columnFields.map((item) => compiler.fromDriver(item)),
      bigintColumns: meta.columnFields.flatMap((item, index) =>
        item.kind === "bigInteger" ? [index] : [],
      ),
      pkIndex: meta.columnFields.indexOf(meta.pk),
    };
    byMeta.set(meta, reader);
  }

  return reader;
}

/** One model in a row: the root, or a model joined by selectRelated. */
export interface PlanPart {
  meta: ModelMeta;
  start: number;
  reader: ModelReader;
  /** Index of the part this one hangs from, or -1 for the root. */
  parent: number;
  /** Attribute on the parent instance that receives this one. */
  relation: string;
}

export interface HydrationPlan {
  parts: PlanPart[];
  width: number;
  /** Annotation columns after the model columns, set on each instance. */
  annotations?: { name: string; index: number; read: ((raw: unknown) => unknown) | null }[];
}

/** Adds the columns of `meta` (and of each selectRelated path) to `select`. */
export function selectModelColumns(
  select: SelectNode,
  scope: Scope,
  compiler: SqlCompiler,
  selectRelated: readonly string[],
): HydrationPlan {
  const parts: PlanPart[] = [];
  const add = (meta: ModelMeta, alias: string, parent: number, relation: string) => {
    const reader = modelReader(compiler, meta);
    parts.push({ meta, start: select.columns.length, reader, parent, relation });

    for (const item of meta.columnFields) {
      select.columns.push({ expression: column(alias, item.column, item) });
    }

    return parts.length - 1;
  };

  add(scope.meta, scope.alias, -1, "");
  const partByPath = new Map<string, { index: number; alias: string; meta: ModelMeta }>();

  for (const path of selectRelated) {
    let current = { index: 0, alias: scope.alias, meta: scope.meta };
    let prefix = "";

    for (const name of path.split("__")) {
      prefix = prefix ? `${prefix}__${name}` : name;
      const known = partByPath.get(prefix);

      if (known) {
        current = known;
        continue;
      }

      const item = current.meta.fieldsByName.get(name);

      if (!(item instanceof ForeignKeyField)) {
        throw new ValidationError(
          `${scope.caller}: selectRelated("${path}"): "${name}" is not a foreign key or one-to-one field of ${current.meta.name}. Use prefetchRelated() for many-valued relations.`,
          { model: current.meta.name, field: name },
        );
      }

      // A LEFT JOIN even for a required key, so loading a relation never
      // drops a row of the queried model. With an inner join MariaDB 10.11
      // read the related table first and sorted the whole join for
      // `orderBy("id").limit(100)`.
      const joined = scope.joinForward(`$select:${prefix}`, current.alias, item, "left");
      const index = add(joined.meta, joined.alias, current.index, name);
      current = { index, alias: joined.alias, meta: joined.meta };
      partByPath.set(prefix, current);
    }
  }

  return { parts, width: select.columns.length };
}

function buildInstance(part: PlanPart, row: unknown[], db: Database | undefined): Model | null {
  const { reader, start } = part;
  const { attributes, readers } = reader;

  // A LEFT JOIN that matched nothing yields NULL in every column. Test the
  // primary key, since the first column may be nullable (deletedAt, say).
  const key = row[start + reader.pkIndex];

  if (part.parent >= 0 && (key === null || key === undefined)) {
    return null;
  }

  const instance = new part.meta.cls(HYDRATING) as Model;
  const state = stateOf(instance);
  state.adding = false;
  state.db = db;
  const target = instance as unknown as Record<string, unknown>;

  for (let index = 0; index < attributes.length; index += 1) {
    const raw = row[start + index];
    const read = readers[index];
    target[attributes[index]!] = raw === null || raw === undefined ? null : read ? read(raw) : raw;
  }

  takeSnapshot(instance);

  return instance;
}

/** Hydrates rows; instances of one result set share a peer list. */
export function hydrate(
  rows: readonly unknown[],
  plan: HydrationPlan,
  db: Database | undefined,
  relationMode: "lazy" | "raise",
): Model[] {
  const results: Model[] = new Array(rows.length);
  const single = plan.parts.length === 1;

  for (let rowIndex = 0; rowIndex < rows.length; rowIndex += 1) {
    const row = rows[rowIndex] as unknown[];

    if (single) {
      results[rowIndex] = buildInstance(plan.parts[0]!, row, db)!;
      continue;
    }

    const built: (Model | null)[] = [];

    for (const part of plan.parts) {
      const instance = part.parent >= 0 && built[part.parent] === null ? null : buildInstance(part, row, db);
      built.push(instance);

      if (part.parent >= 0 && built[part.parent]) {
        stateOf(built[part.parent]!).related.set(part.relation, instance);
      }
    }

    results[rowIndex] = built[0]!;
  }

  for (const instance of results) {
    stateOf(instance).peers = results;
    stateOf(instance).relationMode = relationMode;
  }

  return results;
}

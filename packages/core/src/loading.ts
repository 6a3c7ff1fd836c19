/**
 * Relation loading: prefetchRelated (one query per relation) and the peer
 * batching behind `instance.load()`.
 */
import { and, column, emptySelect, type WhereNode } from "./ast.js";
import { Database } from "./database.js";
import { RelationNotLoadedError, ValidationError } from "./errors.js";
import { ForeignKeyField } from "./fields.js";
import { hydrate, selectModelColumns } from "./hydrate.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, type Model, type ModelClass } from "./model.js";
import { AliasCounter, Scope, buildOrdering, manyRelation, reverseRelation } from "./query-builder.js";
import { QuerySet } from "./queryset.js";
import { softDeleteField } from "./soft-delete-scope.js";

export function instanceDatabase(instance: Model): Database {
  return stateOf(instance).db ?? Database.get();
}

function metaOf(instance: Model): ModelMeta {
  return (instance.constructor as ModelClass).$meta;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];

  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }

  return result;
}

function chunkSize(db: Database): number {
  return Math.max(1, db.dialect.maxParameters - 16);
}

/**
 * Loads `name` on `instance`. In lazy mode it loads the relation for every
 * peer of the same result set that lacks it, in one query; in raise mode
 * it throws RelationNotLoadedError.
 */
export async function loadRelation(instance: Model, name: string): Promise<unknown> {
  const state = stateOf(instance);
  const meta = metaOf(instance);

  if (state.related.has(name)) {
    return state.related.get(name);
  }

  if (state.relationMode === "raise") {
    throw new RelationNotLoadedError(
      `${meta.name}.${name} is not loaded and this query uses relationLoading("raise"). Add selectRelated("${name}") or prefetchRelated("${name}") to the query that loaded it.`,
      { model: meta.name, field: name },
    );
  }

  const peers = (state.peers ?? [instance]).filter(
    (peer) => !stateOf(peer).related.has(name) && peer.constructor === instance.constructor,
  );

  if (!peers.includes(instance)) {
    peers.push(instance);
  }

  await prefetch(instanceDatabase(instance), peers, name);

  return state.related.get(name);
}

/** Loads a relation path (such as `author__posts`) onto instances of one model. */
export async function prefetch(db: Database, instances: readonly Model[], path: string): Promise<void> {
  let current = [...instances];

  for (const name of path.split("__")) {
    if (current.length === 0) {
      return;
    }

    const missing = current.filter((item) => !stateOf(item).related.has(name));

    if (missing.length > 0) {
      await prefetchOne(db, metaOf(current[0]!), missing, name);
    }

    const next: Model[] = [];

    for (const item of current) {
      const loaded = stateOf(item).related.get(name);

      if (Array.isArray(loaded)) {
        next.push(...(loaded as Model[]));
      } else if (loaded) {
        next.push(loaded as Model);
      }
    }

    current = [...new Set(next)];
  }
}

async function prefetchOne(db: Database, meta: ModelMeta, instances: Model[], name: string): Promise<void> {
  const item = meta.field(name);

  if (item instanceof ForeignKeyField && item.name === name) {
    await prefetchForward(db, instances, item);

    return;
  }

  const many = manyRelation(meta, name);

  if (many?.kind === "reverseForeignKey") {
    await prefetchReverse(db, meta, instances, name, many.target, many.foreignKey!, true);

    return;
  }

  if (many?.kind === "manyToMany") {
    await prefetchManyToMany(db, meta, instances, name);

    return;
  }

  const reverse = reverseRelation(meta, name);

  if (reverse && !reverse.multiple && reverse.forward instanceof ForeignKeyField) {
    await prefetchReverse(db, meta, instances, name, reverse.source, reverse.forward, false);

    return;
  }

  throw new ValidationError(
    `${meta.name}: "${name}" is not a relation. ${meta.name}'s relations are ${[
      ...meta.fields.filter((field) => field.isRelation).map((field) => field.name),
      ...meta.reverse.keys(),
    ].join(", ")}.`,
    { model: meta.name, field: name },
  );
}

async function prefetchForward(db: Database, instances: Model[], item: ForeignKeyField): Promise<void> {
  const idKey = `${item.name}Id`;
  const ids = [...new Set(instances.map((instance) => (instance as unknown as Record<string, unknown>)[idKey]).filter((id) => id !== null && id !== undefined))];
  const target = item.targetModel.$meta;
  const byKey = new Map<string, Model>();

  for (const chunk of chunks(ids, chunkSize(db))) {
    // A foreign key still points at a soft-deleted row, so forward loads include it.
    const rows = await new QuerySet(target.cls, db).withDeleted().filter({ [`${target.pk.name}__in`]: chunk } as never).all();

    for (const row of rows) {
      byKey.set(String(row.pk), row);
    }
  }

  for (const instance of instances) {
    const id = (instance as unknown as Record<string, unknown>)[idKey];
    stateOf(instance).related.set(item.name, id === null || id === undefined ? null : (byKey.get(String(id)) ?? null));
  }
}

async function prefetchReverse(
  db: Database,
  meta: ModelMeta,
  instances: Model[],
  name: string,
  source: ModelMeta,
  foreignKey: ForeignKeyField,
  multiple: boolean,
): Promise<void> {
  const ids = [...new Set(instances.map((instance) => instance.pk))];
  const grouped = new Map<string, Model[]>();

  for (const chunk of chunks(ids, chunkSize(db))) {
    const rows = await new QuerySet(source.cls, db).filter({ [`${foreignKey.name}Id__in`]: chunk } as never).all();

    for (const row of rows) {
      const key = String((row as unknown as Record<string, unknown>)[`${foreignKey.name}Id`]);
      const list = grouped.get(key) ?? [];
      list.push(row);
      grouped.set(key, list);
    }
  }

  for (const instance of instances) {
    const list = grouped.get(String(instance.pk)) ?? [];
    stateOf(instance).related.set(name, multiple ? list : (list[0] ?? null));
  }

  void meta;
}

async function prefetchManyToMany(db: Database, meta: ModelMeta, instances: Model[], name: string): Promise<void> {
  const relation = manyRelation(meta, name)!;
  const target = relation.target;
  const through = relation.throughMeta!;
  const ids = [...new Set(instances.map((instance) => instance.pk))];
  const grouped = new Map<string, Model[]>();
  const fromField = through.columnFields.find((item) => item.column === relation.fromColumn)!;

  for (const chunk of chunks(ids, chunkSize(db))) {
    const scope = new Scope(target, target.table, new AliasCounter(), `${meta.name}.prefetchRelated("${name}")`);
    const select = emptySelect(target.table, target.table);
    const plan = selectModelColumns(select, scope, db.dialect.compiler, []);
    const throughAlias = scope.aliases.next("m");
    select.columns.push({ expression: column(throughAlias, relation.fromColumn!, fromField) });
    select.joins = [
      {
        type: "inner",
        table: through.table,
        alias: throughAlias,
        on: {
          kind: "lookup",
          lookup: "exact",
          lhs: column(throughAlias, relation.toColumn!),
          value: column(target.table, target.pk.column),
          field: undefined,
        },
      },
      ...scope.joins,
    ];
    const where: WhereNode = {
      kind: "lookup",
      lookup: "in",
      lhs: column(throughAlias, relation.fromColumn!),
      value: chunk,
      field: fromField,
    };
    select.where = and([where, hiddenRows(scope, target)]);
    select.orderBy = buildOrdering(scope, target.options.ordering ?? []);
    const compiled = db.dialect.compiler.compile(select);
    const result = await db.execute(compiled, { rowMode: "array", returnsRows: true });
    const rows = hydrate(result.rows, plan, db, "lazy");
    const read = db.dialect.compiler.fromDriver(fromField);

    rows.forEach((row, index) => {
      const raw = (result.rows[index] as unknown[])[plan.width];
      const key = String(read ? read(raw) : raw);
      const list = grouped.get(key) ?? [];
      list.push(row);
      grouped.set(key, list);
    });
  }

  for (const instance of instances) {
    stateOf(instance).related.set(name, grouped.get(String(instance.pk)) ?? []);
  }
}

/** The condition that hides soft-deleted rows of `meta`, for hand-built selects. */
function hiddenRows(scope: Scope, meta: ModelMeta): WhereNode | undefined {
  const name = softDeleteField(meta.cls);
  const deletedAt = name === undefined ? undefined : meta.field(name);

  if (!deletedAt) {
    return undefined;
  }

  return { kind: "lookup", lookup: "isnull", lhs: column(scope.alias, deletedAt.column), value: true, field: deletedAt };
}

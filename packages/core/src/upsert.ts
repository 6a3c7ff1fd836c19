/**
 * Inserts that resolve unique-key conflicts: `bulkCreate(rows, { onConflict })`
 * and `objects.upsert()`.
 */
import { column, emptySelect, value, type ExpressionNode, type InsertNode, type WhereNode } from "./ast.js";
import { chunkRanges } from "./chunking.js";
import type { Database } from "./database.js";
import { ValidationError, describeValue } from "./errors.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, attributeName, type Model } from "./model.js";
import { validatedRow } from "./persistence.js";

/**
 * What an insert does when a row collides with an existing row on `target`,
 * a unique field, a `uniqueTogether` set, a unique index or the primary key.
 * `update` names the fields copied from the proposed row onto the existing
 * one; `ignore: true` keeps the existing row unchanged instead.
 */
export interface OnConflict<K extends string = string> {
  target: readonly K[];
  update?: readonly K[];
  ignore?: boolean;
}

interface ResolvedConflict {
  target: Field[];
  /** Fields set on conflict, onUpdate fields included; empty for `ignore`. */
  update: Field[];
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((item) => right.includes(item));
}

/** The unique keys of a model, each as field names. */
function uniqueKeys(meta: ModelMeta): string[][] {
  const keys: string[][] = [[meta.pk.name]];

  for (const item of meta.columnFields) {
    if (item.options.unique && item !== meta.pk) {
      keys.push([item.name]);
    }
  }

  for (const group of meta.options.uniqueTogether ?? []) {
    keys.push(group.map((name) => meta.field(name)?.name ?? name));
  }

  for (const index of meta.options.indexes ?? []) {
    if (index.unique) {
      keys.push(index.fields.map((name) => meta.field(name)?.name ?? name));
    }
  }

  return keys;
}

function columnField(meta: ModelMeta, caller: string, option: string, name: unknown): Field {
  const found = typeof name === "string" ? meta.field(name) : undefined;

  if (!found || !found.hasColumn) {
    throw new ValidationError(
      `${caller}: onConflict.${option} names unknown field ${describeValue(name)}. Fields with columns are ${meta.columnFields.map(attributeName).join(", ")}.`,
      { model: meta.name, value: name },
    );
  }

  return found;
}

/** Checks `onConflict` against the model and resolves its names to fields. */
export function resolveConflict(meta: ModelMeta, caller: string, conflict: OnConflict): ResolvedConflict {
  if (typeof conflict !== "object" || conflict === null || !Array.isArray(conflict.target) || conflict.target.length === 0) {
    throw new ValidationError(
      `${caller}: onConflict needs a non-empty target, the fields of a unique key such as { target: ["username"] }.`,
      { model: meta.name, value: conflict },
    );
  }

  const target = conflict.target.map((name) => columnField(meta, caller, "target", name));
  const keys = uniqueKeys(meta);

  if (!keys.some((key) => sameSet(key, target.map((item) => item.name)))) {
    throw new ValidationError(
      `${caller}: onConflict.target ${describeValue(conflict.target)} is not a unique key of ${meta.name}. Name a unique field, a uniqueTogether set or the primary key: ${keys.map((key) => key.join("+")).join(", ")}.`,
      { model: meta.name, field: target.map((item) => item.name).join(","), value: conflict.target },
    );
  }

  const names = conflict.update ?? [];

  if (conflict.ignore === true) {
    if (names.length > 0) {
      throw new ValidationError(
        `${caller}: onConflict has both ignore and update. Pass ignore: true to keep existing rows, or update to change them.`,
        { model: meta.name },
      );
    }

    return { target, update: [] };
  }

  if (!Array.isArray(names) || names.length === 0) {
    throw new ValidationError(
      `${caller}: onConflict needs update, the fields to overwrite on a conflict, or ignore: true.`,
      { model: meta.name },
    );
  }

  const update = names.map((name) => columnField(meta, caller, "update", name));

  for (const item of update) {
    if (item === meta.pk) {
      throw new ValidationError(`${caller}: onConflict.update cannot change the primary key "${item.name}".`, {
        model: meta.name,
        field: item.name,
      });
    }
  }

  for (const item of meta.columnFields) {
    if (item.options.onUpdate !== undefined && !update.includes(item)) {
      update.push(item);
    }
  }

  return { target, update };
}

/** A string that equal key values share, whichever driver type they come back as. */
function keyOf(values: readonly unknown[]): string {
  return values
    .map((item) => {
      if (item instanceof Date) {
        return `d${item.getTime()}`;
      }

      if (item instanceof Uint8Array) {
        return `b${Buffer.from(item).toString("hex")}`;
      }

      return typeof item === "bigint" || typeof item === "number" ? `n${String(item)}` : `s${String(item)}`;
    })
    .join("\u0000");
}

/**
 * Inserts instances, resolving conflicts on `conflict.target` by updating
 * the existing rows or keeping them (`ignore`). All statements run in one
 * transaction, chunked by the dialect's limits.
 *
 * Afterwards every instance's primary key is the key of the row that holds
 * its target values, whether that row was inserted, updated or kept:
 * - PostgreSQL and SQLite return it with RETURNING for inserted and
 *   updated rows. Rows kept by `ignore` return nothing there, so their
 *   keys come from a follow-up SELECT on the target columns.
 * - MySQL has no RETURNING and reports no ids for updated rows, so every
 *   key comes from a follow-up SELECT on the target columns.
 * Other attributes keep the values passed in, which may differ from a kept
 * or partly updated row; `objects.upsert()` reloads its one row.
 *
 * Rows must not repeat a target key and target values must not be NULL
 * (a NULL never conflicts), or a ValidationError is raised before any SQL.
 */
export async function upsertInstances(
  db: Database,
  meta: ModelMeta,
  instances: readonly Model[],
  conflict: OnConflict,
  options: { batchSize?: number; caller: string },
): Promise<void> {
  const resolved = resolveConflict(meta, options.caller, conflict);

  if (instances.length === 0) {
    return;
  }

  const autoKey = meta.pk.kind === "id";
  const withKey: Model[] = [];
  const withoutKey: Model[] = [];

  for (const instance of instances) {
    const key = instance.pk;
    (autoKey && (key === null || key === undefined) ? withoutKey : withKey).push(instance);
  }

  for (const instance of instances) {
    const source = instance as unknown as Record<string, unknown>;

    for (const item of resolved.update) {
      if (item.options.onUpdate !== undefined) {
        source[attributeName(item)] = item.onUpdateValue();
      }
    }
  }

  const groups = [withKey, withoutKey]
    .filter((group) => group.length > 0)
    .map((group) => {
      const fields = meta.columnFields.filter((item) => group === withKey || item !== meta.pk);

      return { instances: group, fields, rows: group.map((instance) => validatedRow(meta, instance, fields)) };
    });

  checkTargetValues(meta, options.caller, resolved.target, groups);

  const write = async () => {
    const unresolved: Model[] = [];

    for (const group of groups) {
      unresolved.push(...(await upsertGroup(db, meta, resolved, group, options.batchSize)));
    }

    if (unresolved.length > 0 && !(resolved.target.length === 1 && resolved.target[0] === meta.pk)) {
      await fetchKeys(db, meta, resolved.target, unresolved);
    }

    for (const instance of instances) {
      stateOf(instance).adding = false;
      stateOf(instance).db = db;
    }
  };

  if (db.inTransaction) {
    await write();
  } else {
    await db.transaction(write);
  }
}

function checkTargetValues(
  meta: ModelMeta,
  caller: string,
  target: readonly Field[],
  groups: readonly { instances: Model[] }[],
): void {
  const seen = new Set<string>();

  for (const group of groups) {
    for (const instance of group.instances) {
      const source = instance as unknown as Record<string, unknown>;
      const values = target.map((item) => source[attributeName(item)]);
      const missing = target.find((_item, index) => values[index] === null || values[index] === undefined);

      if (missing) {
        throw new ValidationError(
          `${caller}: onConflict target field "${missing.name}" is NULL in a row, and NULL never conflicts. Give every row a value for it, or insert such rows with bulkCreate() without onConflict.`,
          { model: meta.name, field: missing.name },
        );
      }

      const key = keyOf(values);

      if (seen.has(key)) {
        throw new ValidationError(
          `${caller}: two rows share the onConflict target value ${describeValue(values)}. Merge them first, because one statement cannot insert and update the same row.`,
          { model: meta.name, field: target.map((item) => item.name).join(","), value: values },
        );
      }

      seen.add(key);
    }
  }
}

/** Upserts one group of rows with the same columns; returns instances whose key is still unknown. */
async function upsertGroup(
  db: Database,
  meta: ModelMeta,
  conflict: ResolvedConflict,
  group: { instances: Model[]; fields: Field[]; rows: unknown[][] },
  batchSize: number | undefined,
): Promise<Model[]> {
  const { dialect } = db;
  const { instances, fields, rows } = group;
  const returning = dialect.capabilities.returning ? [meta.pk.column, ...conflict.target.map((item) => item.column)] : [];
  const readers = [meta.pk, ...conflict.target].map((item) => dialect.compiler.fromDriver(item));
  const targetIndexes = conflict.target.map((item) => fields.indexOf(item));
  const unresolved: Model[] = [];

  for (const [start, end] of chunkRanges(dialect, rows, { parametersPerRow: fields.length, batchSize })) {
    const chunkRows = rows.slice(start, end);
    const node: InsertNode = {
      kind: "insert",
      table: meta.table,
      columns: fields.map((item) => item.column),
      rows: chunkRows.map((row) => row.map((item, index): ExpressionNode => value(item, fields[index]))),
      returning,
      onConflict: {
        target: conflict.target.map((item) => item.column),
        update: conflict.update.map((item) => item.column),
        primaryKey: meta.pk.column,
      },
    };
    const result = await db.execute(dialect.compiler.compile(node), {
      rowMode: "array",
      returnsRows: returning.length > 0,
      bigintColumns: bigintIndexes([meta.pk, ...conflict.target]),
    });
    const chunk = instances.slice(start, end);

    if (returning.length === 0) {
      unresolved.push(...chunk);
      continue;
    }

    const keys = new Map<string, unknown>();

    for (const raw of result.rows as unknown[][]) {
      const read = raw.map((item, index) => (item === null || !readers[index] ? item : readers[index]!(item)));
      keys.set(keyOf(read.slice(1)), read[0]);
    }

    chunk.forEach((instance, index) => {
      const key = keyOf(targetIndexes.map((position) => chunkRows[index]![position]));

      if (keys.has(key)) {
        (instance as unknown as Record<string, unknown>)[meta.pk.name] = keys.get(key);
      } else {
        unresolved.push(instance);
      }
    });
  }

  return unresolved;
}

function bigintIndexes(fields: readonly Field[]): number[] {
  return fields.flatMap((item, index) => (item.kind === "bigInteger" ? [index] : []));
}

/**
 * Sets the primary keys of `instances` from their rows, found by target
 * values. NOTE: a row is matched by the values as read back, so a key the
 * server compares differently (MySQL's PAD SPACE collations treat 'a' and
 * 'a ' as equal) leaves that instance's primary key as it was.
 */
async function fetchKeys(db: Database, meta: ModelMeta, target: readonly Field[], instances: readonly Model[]): Promise<void> {
  const { dialect } = db;
  const readers = [meta.pk, ...target].map((item) => dialect.compiler.fromDriver(item));
  const wanted = instances.map((instance) => {
    const source = instance as unknown as Record<string, unknown>;

    return target.map((item) => source[attributeName(item)]);
  });

  for (const [start, end] of chunkRanges(dialect, wanted, { parametersPerRow: target.length })) {
    const select = emptySelect(meta.table, meta.table);
    const chunk = wanted.slice(start, end);
    select.columns = [meta.pk, ...target].map((item) => ({ expression: column(undefined, item.column, item) }));
    select.where = keyCondition(target, chunk);
    const result = await db.execute(dialect.compiler.compile(select), {
      rowMode: "array",
      returnsRows: true,
      bigintColumns: bigintIndexes([meta.pk, ...target]),
    });
    const keys = new Map<string, unknown>();

    for (const raw of result.rows as unknown[][]) {
      const read = raw.map((item, index) => (item === null || !readers[index] ? item : readers[index]!(item)));
      keys.set(keyOf(read.slice(1)), read[0]);
    }

    for (let index = start; index < end; index += 1) {
      const key = keyOf(wanted[index]!);

      if (keys.has(key)) {
        (instances[index] as unknown as Record<string, unknown>)[meta.pk.name] = keys.get(key);
      }
    }
  }
}

/** `col IN (...)` for a one-field key, or `(a = ? and b = ?) or ...` for several fields. */
function keyCondition(target: readonly Field[], rows: readonly unknown[][]): WhereNode {
  if (target.length === 1) {
    const only = target[0]!;

    return { kind: "lookup", lookup: "in", lhs: column(undefined, only.column, only), value: rows.map((row) => row[0]), field: only };
  }

  return {
    kind: "or",
    items: rows.map((row) => ({
      kind: "and" as const,
      items: target.map((item, index): WhereNode => ({
        kind: "lookup",
        lookup: "exact",
        lhs: column(undefined, item.column, item),
        value: row[index],
        field: item,
      })),
    })),
  };
}

/** `objects.bulkUpdate()`: many instances written with one UPDATE per chunk. */
import { column, value, type ExpressionNode, type UpdateNode, type WhereNode } from "./ast.js";
import { chunkRanges } from "./chunking.js";
import type { Database } from "./database.js";
import { ValidationError, describeValue } from "./errors.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, attributeName, type Model, type ModelClass } from "./model.js";
import { validatedRow } from "./persistence.js";

/**
 * Rows per UPDATE unless `batchSize` sets another size. Each field's CASE has
 * one WHEN per row, and the server tests them in order for every row it
 * updates, so the work per statement grows with the square of its rows.
 * Timed with tests/test/bulk.test.ts (100,000 rows, two fields) on a shared
 * development machine, PostgreSQL 15 took about 6 s at 250 rows per
 * statement, 9 s at 500 and 10 s at 2,000; the timings vary from run to run.
 */
const DEFAULT_ROWS_PER_UPDATE = 250;

function fieldsToUpdate(meta: ModelMeta, caller: string, names: readonly string[]): Field[] {
  if (!Array.isArray(names) || names.length === 0) {
    throw new ValidationError(`${caller}: no fields to update. Pass the names of the fields to write, such as ["title"].`, {
      model: meta.name,
    });
  }

  const fields: Field[] = [];

  for (const name of names) {
    const found = typeof name === "string" ? meta.field(name) : undefined;

    if (!found || !found.hasColumn || found === meta.pk) {
      throw new ValidationError(
        `${caller}: unknown or read-only field ${describeValue(name)}. Updatable fields are ${meta.columnFields.filter((item) => item !== meta.pk).map(attributeName).join(", ")}.`,
        { model: meta.name, field: String(name) },
      );
    }

    if (!fields.includes(found)) {
      fields.push(found);
    }
  }

  for (const item of meta.columnFields) {
    if (item.options.onUpdate !== undefined && !fields.includes(item)) {
      fields.push(item);
    }
  }

  return fields;
}

function checkInstances(meta: ModelMeta, caller: string, instances: readonly Model[]): void {
  const seen = new Set<unknown>();

  for (const instance of instances) {
    if (typeof instance !== "object" || instance === null || (instance.constructor as ModelClass).$meta !== meta) {
      throw new ValidationError(`${caller}: expected ${meta.name} instances, got ${describeValue(instance)}.`, {
        model: meta.name,
        value: instance,
      });
    }

    const key = instance.pk;

    if (key === null || key === undefined) {
      throw new ValidationError(
        `${caller}: an instance has no ${meta.pk.name}, so it has no row to update. Save it with bulkCreate() or save() first.`,
        { model: meta.name, field: meta.pk.name },
      );
    }

    const identity = typeof key === "bigint" ? `${key}n` : key;

    if (seen.has(identity)) {
      throw new ValidationError(
        `${caller}: ${meta.name} with ${meta.pk.name} ${describeValue(key)} appears twice. Pass each instance once.`,
        { model: meta.name, field: meta.pk.name, value: key },
      );
    }

    seen.add(identity);
  }
}

/**
 * Writes `fields` of `instances` with one UPDATE per chunk:
 * `set f = case when pk = ? then ? ... else f end ... where pk in (...)`.
 * Chunks fit the dialect's bound-parameter limit (2 per field per row, plus
 * 1 for the IN list) and run in one transaction. Every value is validated
 * before any SQL is sent, and onUpdate fields are set and written as well.
 * Returns the number of rows matched, which counts rows whose values were
 * already equal and leaves out instances whose row no longer exists.
 * NOTE: a version field is not checked or incremented; use save() for
 * optimistic locking.
 */
export async function bulkUpdateInstances(
  db: Database,
  meta: ModelMeta,
  instances: readonly Model[],
  names: readonly string[],
  options: { batchSize?: number; caller: string },
): Promise<number> {
  const fields = fieldsToUpdate(meta, options.caller, names);
  checkInstances(meta, options.caller, instances);

  if (instances.length === 0) {
    return 0;
  }

  for (const instance of instances) {
    const source = instance as unknown as Record<string, unknown>;

    for (const item of fields) {
      if (item.options.onUpdate !== undefined) {
        source[attributeName(item)] = item.onUpdateValue();
      }
    }
  }

  const rows = instances.map((instance) => [instance.pk, ...validatedRow(meta, instance, fields)]);
  const ranges = chunkRanges(db.dialect, rows, {
    parametersPerRow: 2 * fields.length + 1,
    batchSize: options.batchSize,
    maxRows: options.batchSize === undefined ? DEFAULT_ROWS_PER_UPDATE : undefined,
  });
  const write = async () => {
    let matched = 0;

    for (const [start, end] of ranges) {
      const node = updateNode(meta, fields, rows.slice(start, end));
      const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });
      matched += result.rowCount;
    }

    for (const instance of instances) {
      stateOf(instance).db = db;
    }

    return matched;
  };

  return ranges.length > 1 && !db.inTransaction ? db.transaction(write) : write();
}

/** Builds one chunk's UPDATE from rows of `[pk, ...values in field order]`. */
function updateNode(meta: ModelMeta, fields: readonly Field[], rows: readonly unknown[][]): UpdateNode {
  const pk = column(undefined, meta.pk.column, meta.pk);
  const keyIs = (key: unknown): WhereNode => ({ kind: "lookup", lookup: "exact", lhs: pk, value: key, field: meta.pk });

  return {
    kind: "update",
    table: meta.table,
    set: fields.map((item, index) => ({
      column: item.column,
      // ELSE keeps the column, which also gives PostgreSQL the CASE's type
      // for the untyped parameters in its THEN branches.
      value: {
        kind: "case",
        whens: rows.map((row) => ({ condition: keyIs(row[0]), result: value(row[index + 1], item) as ExpressionNode })),
        otherwise: column(undefined, item.column, item),
      },
    })),
    where: { kind: "lookup", lookup: "in", lhs: pk, value: rows.map((row) => row[0]), field: meta.pk },
    returning: [],
  };
}

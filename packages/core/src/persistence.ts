/** Inserts and updates of instances, including chunked bulk inserts. */
import { value, type ExpressionNode } from "./ast.js";
import { chunkRanges } from "./chunking.js";
import type { Database } from "./database.js";
import { DoesNotExist, OptimisticLockError, ValidationError, describeValue } from "./errors.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, attributeName, type Model, type ModelClass } from "./model.js";
import { validateValue } from "./validate.js";

function metaOf(instance: Model): ModelMeta {
  return (instance.constructor as ModelClass).$meta;
}

/** Validates every column attribute of `instance` and writes back canonical values. */
export function validatedRow(meta: ModelMeta, instance: Model, fields: readonly Field[]): unknown[] {
  const source = instance as unknown as Record<string, unknown>;

  return fields.map((item) => {
    const key = attributeName(item);
    const checked = validateValue(item, source[key]);
    source[key] = checked;

    return checked;
  });
}

/** Inserts instances in chunks that fit the dialect's parameter limit. */
export async function insertInstances(
  db: Database,
  meta: ModelMeta,
  instances: readonly Model[],
  options: { batchSize?: number } = {},
): Promise<void> {
  if (instances.length === 0) {
    return;
  }

  const withKey: Model[] = [];
  const withoutKey: Model[] = [];
  const autoKey = meta.pk.kind === "id";

  for (const instance of instances) {
    const key = instance.pk;
    (autoKey && (key === null || key === undefined) ? withoutKey : withKey).push(instance);
  }

  for (const group of [withKey, withoutKey]) {
    if (group.length === 0) {
      continue;
    }

    const fields = meta.columnFields.filter((item) => group === withKey || item !== meta.pk);
    await insertGroup(db, meta, group, fields, options.batchSize);

    // Explicit keys in an auto-increment column can leave the dialect's
    // sequence behind them (PostgreSQL identity columns), so the next
    // generated key would collide; the dialect moves it past them.
    if (group === withKey && autoKey) {
      for (const statement of db.dialect.afterExplicitKeys?.(meta) ?? []) {
        await db.execute(statement, { rowMode: "array", returnsRows: true });
      }
    }
  }
}

async function insertGroup(
  db: Database,
  meta: ModelMeta,
  instances: readonly Model[],
  fields: readonly Field[],
  batchSize: number | undefined,
): Promise<void> {
  const { dialect } = db;
  const needsKeys = fields.every((item) => item !== meta.pk);
  const returning = needsKeys && dialect.capabilities.returning ? [meta.pk.column] : [];
  const maxRows = needsKeys && returning.length === 0 ? dialect.capabilities.maxRowsPerInsertWithoutReturning : undefined;
  const rows = instances.map((instance) => validatedRow(meta, instance, fields));
  const ranges = chunkRanges(dialect, rows, { parametersPerRow: fields.length, batchSize, maxRows });
  const write = async () => {
    for (const [start, end] of ranges) {
      const chunk = instances.slice(start, end);
      const chunkRows = rows.slice(start, end);
      const node = {
        kind: "insert" as const,
        table: meta.table,
        columns: fields.map((item) => item.column),
        rows: chunkRows.map((row) => row.map((item, index): ExpressionNode => value(item, fields[index]))),
        returning,
      };
      const result = await db.execute(dialect.compiler.compile(node), {
        rowMode: "array",
        returnsRows: returning.length > 0,
      });

      if (needsKeys) {
        const keys = returning.length > 0
          ? result.rows.map((row) => (row as unknown[])[0])
          : generatedKeys(db, meta, result.insertId, chunk.length);
        const read = dialect.compiler.fromDriver(meta.pk);

        chunk.forEach((instance, index) => {
          const raw = keys[index];
          (instance as unknown as Record<string, unknown>)[meta.pk.name] = raw === null || raw === undefined || !read ? raw : read(raw);
        });
      }

      for (const instance of chunk) {
        stateOf(instance).adding = false;
        stateOf(instance).db = db;
      }
    }
  };

  // Several statements must succeed or fail together.
  if (ranges.length > 1 && !db.inTransaction) {
    await db.transaction(write);
  } else {
    await write();
  }
}

function generatedKeys(db: Database, meta: ModelMeta, insertId: number | bigint | undefined, count: number): unknown[] {
  const generate = db.dialect.generatedIds;

  if (insertId === undefined || !generate) {
    throw new ValidationError(
      `${meta.name}: the ${db.dialect.name} dialect returned no generated ids for an insert.`,
      { model: meta.name, dialect: db.dialect.name },
    );
  }

  return generate.call(db.dialect, insertId, count);
}

export async function insertInstance(db: Database, instance: Model): Promise<void> {
  await insertInstances(db, metaOf(instance), [instance]);
}

/** Updates an instance's row, applying onUpdate values and the version check. */
export async function updateInstance(db: Database, instance: Model, only?: readonly string[]): Promise<void> {
  const meta = metaOf(instance);
  const source = instance as unknown as Record<string, unknown>;
  const pk = instance.pk;
  const versionField = meta.versionField();

  for (const item of meta.columnFields) {
    if (item.options.onUpdate !== undefined) {
      source[attributeName(item)] = item.onUpdateValue();
    }
  }

  let fields = meta.columnFields.filter((item) => item !== meta.pk);

  if (only) {
    const wanted = new Set(only);
    fields = fields.filter(
      (item) => wanted.has(item.name) || wanted.has(attributeName(item)) || item.options.onUpdate !== undefined || item === versionField,
    );
  }

  const expectedVersion = versionField ? source[versionField.name] : undefined;

  if (versionField) {
    source[versionField.name] = (expectedVersion as number) + 1;
  }

  let row: unknown[];

  try {
    row = validatedRow(meta, instance, fields);
  } catch (error) {
    if (versionField) {
      source[versionField.name] = expectedVersion;
    }

    throw error;
  }

  const where = [
    { kind: "lookup" as const, lookup: "exact" as const, lhs: { kind: "column" as const, table: undefined, column: meta.pk.column }, value: pk, field: meta.pk },
  ];

  if (versionField) {
    where.push({
      kind: "lookup",
      lookup: "exact",
      lhs: { kind: "column", table: undefined, column: versionField.column },
      value: expectedVersion,
      field: versionField,
    });
  }

  const node = {
    kind: "update" as const,
    table: meta.table,
    set: fields.map((item, index) => ({ column: item.column, value: value(row[index], item) as ExpressionNode })),
    where: where.length === 1 ? where[0] : { kind: "and" as const, items: where },
    returning: [],
  };
  const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });

  if (result.rowCount === 0) {
    if (versionField) {
      source[versionField.name] = expectedVersion;
      throw new OptimisticLockError(
        `${meta.name} with ${meta.pk.name} ${describeValue(pk)} was changed by another writer: expected version ${describeValue(expectedVersion)}. Reload it with refresh() and apply the change again.`,
        { model: meta.name, id: pk, expectedVersion },
      );
    }

    throw new DoesNotExist(
      `${meta.name}.save(): no row with ${meta.pk.name} ${describeValue(pk)} exists; it may have been deleted.`,
      { model: meta.name },
    );
  }

  stateOf(instance).db = db;
}

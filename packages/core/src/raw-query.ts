/** `objects.raw()` and `explain()`: raw SQL that yields instances, and query plans. */
import type { CompiledQuery } from "./dialect.js";
import type { Database } from "./database.js";
import { ValidationError } from "./errors.js";
import { modelReader } from "./hydrate.js";
import type { ModelMeta } from "./model-meta.js";
import { stateOf, HYDRATING, type Model } from "./model.js";
import { SqlFragment, sql } from "./sql.js";

/** Accepts `raw(sql\`...\`)` or the tagged form `raw\`...\``. */
export function toFragment(first: SqlFragment | TemplateStringsArray, values: readonly unknown[], caller: string): SqlFragment {
  if (first instanceof SqlFragment) {
    return first;
  }

  if (Array.isArray(first) && Array.isArray((first as TemplateStringsArray).raw)) {
    return sql(first as TemplateStringsArray, ...values);
  }

  throw new ValidationError(
    `${caller}: expected an sql\`...\` fragment or a tagged template, got ${typeof first}. Write raw(sql\`select ...\`) so that every value is bound.`,
    { value: first },
  );
}

/**
 * Runs raw SQL and builds instances from its rows. Columns are matched to
 * fields by database column name (`published_at`, not `publishedAt`) and
 * converted as in a normal query. The primary key column must be present,
 * or a ValidationError is raised. A field whose column is missing stays
 * undefined (a NULL column gives null), and extra columns are ignored.
 * NOTE: on SQLite, integers beyond 2^53 in a raw result lose precision,
 * because object rows are read without per-column bigint mode.
 */
export async function rawInstances(db: Database, meta: ModelMeta, fragment: SqlFragment, caller: string): Promise<Model[]> {
  const result = await db.execute(fragment.compile(db.dialect.compiler), { rowMode: "object", returnsRows: true });
  const rows = result.rows as Record<string, unknown>[];
  const reader = modelReader(db.dialect.compiler, meta);
  const columns = meta.columnFields.map((item) => item.column);
  const instances: Model[] = new Array(rows.length);

  rows.forEach((row, rowIndex) => {
    if (!(meta.pk.column in row)) {
      throw new ValidationError(
        `${caller}: the result has no "${meta.pk.column}" column, the primary key of ${meta.name}. Select it, for example select * or select ${meta.pk.column}, ....`,
        { model: meta.name, field: meta.pk.name },
      );
    }

    const instance = new meta.cls(HYDRATING) as Model;
    stateOf(instance).adding = false;
    stateOf(instance).db = db;
    const target = instance as unknown as Record<string, unknown>;

    columns.forEach((name, index) => {
      if (!(name in row)) {
        target[reader.attributes[index]!] = undefined;

        return;
      }

      const raw = row[name];
      const read = reader.readers[index];
      const attribute = reader.attributes[index]!;

      if (raw === null || raw === undefined) {
        target[attribute] = null;
      } else {
        target[attribute] = read ? read(raw) : raw;
      }
    });
    instances[rowIndex] = instance;
  });

  for (const instance of instances) {
    stateOf(instance).peers = instances;
    stateOf(instance).relationMode = db.relationLoading;
  }

  return instances;
}

/**
 * Runs EXPLAIN for a compiled SELECT and returns the plan as text: one line
 * per row for plans the server returns as lines (PostgreSQL, MySQL's FORMAT
 * TREE), an indented tree for SQLite, and tab-separated rows under a header
 * for tabular plans (MySQL and MariaDB EXPLAIN).
 * EXPLAIN ANALYZE runs the statement, so it gets a read-only transaction
 * unless the query locks rows; that also opens the connection before
 * compiling, so the mysql dialect knows the server version.
 */
export async function explainQuery(
  db: Database,
  compile: () => CompiledQuery,
  options: { analyze?: boolean; locks: boolean },
): Promise<string> {
  const run = async () => {
    const statement = db.dialect.compiler.explain(compile(), options);
    const result = await db.execute(statement, { rowMode: "object", returnsRows: true });

    return formatPlan(result.rows as Record<string, unknown>[]);
  };

  if (!options.analyze || db.inTransaction) {
    return run();
  }

  return db.transaction(run, { readOnly: !options.locks });
}

function formatPlan(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) {
    return "";
  }

  const names = Object.keys(rows[0]!);

  if (names.length === 1) {
    return rows.map((row) => String(row[names[0]!])).join("\n");
  }

  // SQLite's EXPLAIN QUERY PLAN: rows of (id, parent, notused, detail).
  if (names.includes("detail") && names.includes("parent") && names.includes("id")) {
    const depth = new Map<unknown, number>();

    return rows
      .map((row) => {
        const level = (depth.get(row.parent) ?? -1) + 1;
        depth.set(row.id, level);

        return `${"  ".repeat(level)}${String(row.detail)}`;
      })
      .join("\n");
  }

  const cell = (item: unknown) => (item === null || item === undefined ? "NULL" : String(item));

  return [names.join("\t"), ...rows.map((row) => names.map((name) => cell(row[name])).join("\t"))].join("\n");
}

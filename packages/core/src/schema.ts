/** CREATE and DROP statements for the tables of models (no migrations). */
import type { CompiledQuery, Dialect } from "./dialect.js";
import { NotSupportedError, ValidationError } from "./errors.js";
import { ForeignKeyField, type Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";

function columnsOf(meta: ModelMeta, names: readonly string[], where: string): string[] {
  return names.map((name) => {
    const found = meta.field(name);

    if (!found || !found.hasColumn) {
      throw new ValidationError(
        `${meta.name} ${where}: unknown field "${name}". ${meta.name}'s column fields are ${meta.columnFields.map((item) => item.name).join(", ")}.`,
        { model: meta.name, field: name },
      );
    }

    return found.column;
  });
}

/** Field kinds that only dialects listing them in `capabilities.fieldKinds` store. */
const OPTIONAL_KINDS = new Set(["array", "tsVector"]);

function columnDefinition(dialect: Dialect, meta: ModelMeta, item: Field): string {
  const { compiler } = dialect;

  if (OPTIONAL_KINDS.has(item.kind) && !dialect.capabilities.fieldKinds?.includes(item.kind)) {
    throw new NotSupportedError(
      `${meta.name}.${item.name}: ${item.kind} fields are not supported on ${dialect.name}. Use a json field, or run on a dialect that supports them (postgres).`,
      { model: meta.name, field: item.name, dialect: dialect.name },
    );
  }

  if (item.primaryKey && item.kind === "id") {
    return `${compiler.quote(item.column)} ${compiler.autoIncrementPrimaryKey(item)}`;
  }

  let definition = `${compiler.quote(item.column)} ${compiler.columnType(item)}`;

  if (item.primaryKey) {
    definition += " primary key";
  } else if (!item.nullable) {
    definition += " not null";
  }

  if (item.options.unique && !item.primaryKey) {
    definition += " unique";
  }

  const check = compiler.columnCheck(item);

  if (check) {
    definition += ` check (${check})`;
  }

  return definition;
}

const ON_DELETE: Record<string, string> = {
  cascade: "cascade",
  setNull: "set null",
  restrict: "restrict",
  protect: "restrict",
};

/** Short, stable constraint and index names within the 63-byte PostgreSQL limit. */
export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  const name = `${table}_${columns.join("_")}_${suffix}`;

  if (name.length <= 60) {
    return name;
  }

  let hash = 0;

  for (const character of name) {
    hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  }

  return `${name.slice(0, 50)}_${hash.toString(36)}`;
}

/** Statements that create one model's table and indexes if missing. */
export function createTableStatements(dialect: Dialect, meta: ModelMeta): CompiledQuery[] {
  const { compiler } = dialect;
  const lines = meta.columnFields.map((item) => columnDefinition(dialect, meta, item));

  for (const item of meta.columnFields) {
    if (item instanceof ForeignKeyField) {
      const target = item.targetModel.$meta;
      const onDelete = ON_DELETE[item.onDelete] ?? "cascade";
      lines.push(
        `constraint ${compiler.quote(constraintName(meta.table, [item.column], "fk"))} foreign key (${compiler.quote(item.column)}) references ${compiler.quote(target.table)} (${compiler.quote(target.pk.column)}) on delete ${onDelete}`,
      );
    }
  }

  for (const group of meta.options.uniqueTogether ?? []) {
    const columns = columnsOf(meta, group, "uniqueTogether");
    lines.push(
      `constraint ${compiler.quote(constraintName(meta.table, columns, "uniq"))} unique (${columns.map((name) => compiler.quote(name)).join(", ")})`,
    );
  }

  for (const check of meta.options.checks ?? []) {
    const expression = typeof check.sql === "function" ? check.sql((name) => compiler.quote(name)) : check.sql;
    lines.push(`constraint ${compiler.quote(check.name)} check (${expression})`);
  }

  const statements: CompiledQuery[] = [
    {
      sql: `create table if not exists ${compiler.quote(meta.table)} (${lines.join(", ")})${compiler.createTableSuffix()}`,
      params: [],
    },
  ];

  const indexes: { columns: string[]; unique: boolean; name?: string; using?: string }[] = [];

  for (const item of meta.columnFields) {
    if ((item.options.index || item instanceof ForeignKeyField) && !item.options.unique && !item.primaryKey) {
      indexes.push({ columns: [item.column], unique: false });
    }
  }

  for (const index of meta.options.indexes ?? []) {
    indexes.push({
      columns: columnsOf(meta, index.fields, "indexes"),
      unique: index.unique === true,
      name: index.name,
      using: index.using,
    });
  }

  for (const index of indexes) {
    const name = index.name ?? constraintName(meta.table, index.columns, index.unique ? "uniq" : "idx");
    statements.push({
      sql: compiler.createIndex(name, meta.table, index.columns, index.unique, index.using),
      params: [],
    });
  }

  statements.push(...(dialect.afterCreateTable?.(meta) ?? []));

  return statements;
}

export function dropTableStatements(dialect: Dialect, meta: ModelMeta): CompiledQuery[] {
  return [
    ...(dialect.beforeDropTable?.(meta) ?? []),
    { sql: dialect.compiler.dropTable(meta.table), params: [] },
  ];
}

/** Orders models so each comes after the models its foreign keys point at. */
export function sortByDependency(metas: ModelMeta[]): ModelMeta[] {
  const result: ModelMeta[] = [];
  const state = new Map<ModelMeta, "visiting" | "done">();
  const present = new Set(metas);

  const visit = (meta: ModelMeta) => {
    if (state.get(meta)) {
      // NOTE: a cycle of foreign keys between tables is broken here at an
      // arbitrary point; PostgreSQL and MySQL then reject the forward reference.
      return;
    }

    state.set(meta, "visiting");

    for (const item of meta.columnFields) {
      if (item instanceof ForeignKeyField) {
        const target = item.targetModel.$meta;

        if (target !== meta && present.has(target)) {
          visit(target);
        }
      }
    }

    state.set(meta, "done");
    result.push(meta);
  };

  metas.forEach(visit);

  return result;
}

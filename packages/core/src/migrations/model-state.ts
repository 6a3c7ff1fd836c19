/** Builds the migration state that a set of models describes. */
import type { Field, ForeignKeyField } from "../fields.js";
import type { ModelClass } from "../model.js";
import { registeredModels, type ModelMeta } from "../model-meta.js";
import { constraintName } from "../schema.js";
import { searchFields, searchSpec } from "../search.js";
import type {
  CheckState,
  ColumnState,
  DefaultValue,
  ForeignKeyState,
  IndexState,
  ReferentialAction,
  SchemaState,
  SearchState,
  TableState,
  UniqueState,
} from "./state.js";
import { MigrationError } from "./errors.js";

const ON_DELETE: Record<string, ReferentialAction> = {
  cascade: "cascade",
  setNull: "set null",
  restrict: "restrict",
  protect: "restrict",
};

/** Field options that describe the model, not the column. */
const NON_COLUMN_OPTIONS = new Set([
  "primaryKey",
  "nullable",
  "unique",
  "index",
  "default",
  "onUpdate",
  "column",
  "relatedName",
  "onDelete",
]);

/**
 * Returns the models to migrate, resolved, with the automatic through
 * models of their many-to-many fields, in foreign-key order.
 */
export function modelsToMigrate(models?: readonly ModelClass[]): ModelMeta[] {
  const metas = (models ?? registeredModels().map((meta) => meta.cls)).map((cls) => cls.$meta);

  for (const meta of metas) {
    meta.resolve();
  }

  const all = new Set(metas);

  for (const meta of metas) {
    for (const item of meta.fields) {
      const through = (item as { throughModel?: ModelClass }).throughModel?.$meta;

      if (through?.autoCreated) {
        all.add(through);
      }
    }
  }

  return sortByDependency([...all]);
}

/** Orders models so each comes after the models its foreign keys point at; a cycle is cut anywhere. */
function sortByDependency(metas: ModelMeta[]): ModelMeta[] {
  const sorted: ModelMeta[] = [];
  const seen = new Set<ModelMeta>();
  const present = new Set(metas);

  const visit = (meta: ModelMeta) => {
    if (seen.has(meta)) {
      return;
    }

    seen.add(meta);

    for (const item of meta.columnFields) {
      const target = isForeignKey(item) ? item.targetModel.$meta : undefined;

      if (target && present.has(target)) {
        visit(target);
      }
    }

    sorted.push(meta);
  };

  metas.forEach(visit);

  return sorted;
}

/** Builds the schema state of the given models (default: every defined model). */
export function stateFromModels(models?: readonly ModelClass[]): SchemaState {
  const state: SchemaState = new Map();

  for (const meta of modelsToMigrate(models)) {
    if (state.has(meta.table)) {
      throw new MigrationError(
        `Two models use the table "${meta.table}". Give one of them another table name.`,
        { code: "state", model: meta.name },
      );
    }

    state.set(meta.table, tableFromModel(meta));
  }

  return state;
}

export function tableFromModel(meta: ModelMeta): TableState {
  const table = meta.table;
  const columns = meta.columnFields.map(columnFromField);
  const indexes: IndexState[] = [];
  const foreignKeys: ForeignKeyState[] = [];

  for (const item of meta.columnFields) {
    if (isForeignKey(item)) {
      const target = item.targetModel.$meta;
      foreignKeys.push({
        name: constraintName(table, [item.column], "fk"),
        column: item.column,
        references: { table: target.table, column: target.pk.column },
        onDelete: ON_DELETE[item.onDelete] ?? "cascade",
      });
    }

    const indexed = item.options.index === true || isForeignKey(item);

    if (indexed && !item.options.unique && !item.primaryKey) {
      indexes.push({ name: constraintName(table, [item.column], "idx"), columns: [item.column] });
    }
  }

  for (const index of meta.options.indexes ?? []) {
    const names = columnNames(meta, index.fields, "indexes");
    const unique = index.unique === true;
    indexes.push({
      name: index.name ?? constraintName(table, names, unique ? "uniq" : "idx"),
      columns: names,
      ...(unique ? { unique: true } : {}),
    });
  }

  const uniques: UniqueState[] = (meta.options.uniqueTogether ?? []).map((group) => {
    const names = columnNames(meta, group, "uniqueTogether");

    return { name: constraintName(table, names, "uniq"), columns: names };
  });

  const checks: CheckState[] = (meta.options.checks ?? []).map((check) => ({
    name: check.name,
    sql: typeof check.sql === "function" ? check.sql((name) => `{{${name}}}`) : check.sql,
  }));

  const search = searchFromModel(meta);

  return { name: table, columns, indexes, uniques, foreignKeys, checks, ...(search ? { search } : {}) };
}

/** Describes the model's `field.search()` index, which queries allow once per model. */
function searchFromModel(meta: ModelMeta): SearchState | undefined {
  const fields = searchFields(meta);

  if (fields.length > 1) {
    throw new MigrationError(
      `${meta.name} declares ${fields.length} search fields (${fields.map((item) => item.name).join(", ")}). Declare one field.search() that lists every indexed field.`,
      { code: "state", model: meta.name },
    );
  }

  const [item] = fields;

  if (!item) {
    return undefined;
  }

  const spec = searchSpec(meta, item, meta.table);

  return {
    column: spec.vectorColumn,
    fields: spec.columns.map((source) => (source.weight === undefined ? { column: source.column } : { column: source.column, weight: source.weight })),
    language: spec.language,
  };
}

function columnNames(meta: ModelMeta, names: readonly string[], where: string): string[] {
  return names.map((name) => {
    const found = meta.field(name);

    if (!found?.hasColumn) {
      throw new MigrationError(
        `${meta.name} ${where}: unknown field "${name}". ${meta.name}'s column fields are ${meta.columnFields.map((item) => item.name).join(", ")}.`,
        { code: "state", model: meta.name, field: name },
      );
    }

    return found.column;
  });
}

/**
 * True for foreign keys and one-to-one fields. It checks the kind, not the
 * class, because models loaded by a CLI may come from the other build (ESM
 * or CommonJS) of core, whose classes are distinct.
 */
function isForeignKey(item: Field): item is ForeignKeyField {
  return item.kind === "foreignKey" || item.kind === "oneToOne";
}

/** The field whose column type a field uses: a foreign key stores its target's key. */
function storedField(item: Field): Field {
  let current = item;

  for (let depth = 0; depth < 8 && isForeignKey(current); depth += 1) {
    current = current.targetModel.$meta.pk;
  }

  return current;
}

/** Describes a field's column; a foreign key takes the type of its target's key. */
export function columnFromField(item: Field): ColumnState {
  const stored = storedField(item);
  const kind = stored === item ? item.kind : stored.kind === "id" ? "integer" : stored.kind;
  const column: ColumnState = { name: item.column, kind: kind as ColumnState["kind"] };

  if (item.primaryKey) {
    column.primaryKey = true;
  }

  if (item.nullable) {
    column.nullable = true;
  }

  if (item.options.unique && !item.primaryKey) {
    column.unique = true;
  }

  const fallback = staticDefault(item);

  if (fallback !== undefined) {
    column.default = fallback;
  }

  for (const [key, value] of Object.entries(stored.options)) {
    if (!NON_COLUMN_OPTIONS.has(key) && isJsonValue(value)) {
      column[key] = value;
    }
  }

  return column;
}

/** A literal default the database can hold; factories and objects have none. */
function staticDefault(item: Field): DefaultValue | undefined {
  const value = item.options.default;

  // A JSON or binary column would need the value encoded, so only the ORM applies those defaults.
  if (item.kind === "json" || item.kind === "binary") {
    return undefined;
  }

  if (typeof value === "string" || typeof value === "boolean") {
    return value;
  }

  if (typeof value === "number" && Number.isFinite(value)) {
    return value;
  }

  // Migration files are JSON-like, so a bigint default is kept only when a number holds it exactly.
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) {
    return Number(value);
  }

  return undefined;
}

function isJsonValue(value: unknown): boolean {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
    return true;
  }

  if (Array.isArray(value)) {
    return value.every(isJsonValue);
  }

  return false;
}

import { ValidationError } from "./errors.js";
import {
  Field,
  ForeignKeyField,
  ManyToManyField,
  ReverseField,
  type FieldMap,
} from "./fields.js";
import { Model, installReverseAccessor, type ModelClass } from "./model.js";

export interface IndexOptions {
  fields: string[];
  name?: string;
  unique?: boolean;
  /** Index method, such as "gin" for a tsvector or an array (PostgreSQL only). */
  using?: string;
}

export interface CheckConstraint {
  name: string;
  /**
   * SQL boolean expression over the table's columns, written by the model's
   * author. A function receives the dialect's identifier quoting, because
   * MySQL reads "name" as a string where PostgreSQL and SQLite read a column.
   */
  sql: string | ((quote: (identifier: string) => string) => string);
}

export interface ModelOptions {
  /** Default ordering, such as `["-publishedAt", "id"]`. */
  ordering?: string[];
  indexes?: IndexOptions[];
  uniqueTogether?: string[][];
  checks?: CheckConstraint[];
}

/** A relation reached from the other side: a reverse key or a reverse many-to-many. */
export interface ReverseRelation {
  name: string;
  /** The model that declares the forward field. */
  source: ModelMeta;
  forward: ForeignKeyField | ManyToManyField;
  multiple: boolean;
}

const REGISTRY_SLOT = Symbol.for("chakra-orm.model-registry");

type Registry = Map<string, ModelMeta>;

function registry(): Registry {
  const slot = globalThis as unknown as Record<symbol, Registry | undefined>;
  slot[REGISTRY_SLOT] ??= new Map();

  return slot[REGISTRY_SLOT];
}

/** Converts `publishedAt` to `published_at`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Metadata of one model: table, fields and relations. */
export class ModelMeta {
  /** The class queries instantiate: the user's subclass once it is known. */
  cls!: ModelClass;
  readonly fields: Field[];
  readonly fieldsByName = new Map<string, Field>();
  /** Fields stored in columns of this table, in declaration order. */
  readonly columnFields: Field[];
  readonly pk: Field;
  readonly reverse = new Map<string, ReverseRelation>();
  /** Set for the automatic through model of a many-to-many relation. */
  autoCreated = false;
  #resolved = false;

  constructor(
    readonly table: string,
    fieldMap: FieldMap,
    readonly options: ModelOptions,
  ) {
    this.fields = [];
    let pk: Field | undefined;

    for (const [name, original] of Object.entries(fieldMap)) {
      const field = original.model ? original.clone() : original;
      field.name = name;
      field.column =
        (field.options.column as string | undefined) ??
        (field instanceof ForeignKeyField ? `${snakeCase(name)}_id` : snakeCase(name));
      this.fields.push(field);
      this.fieldsByName.set(name, field);

      if (field.primaryKey) {
        if (pk) {
          throw new ValidationError(
            `Model.define("${table}"): fields "${pk.name}" and "${name}" are both primary keys. Mark one field only; use uniqueTogether for a composite key.`,
          );
        }

        pk = field;
      }
    }

    if (!pk) {
      pk = new Field("id", { primaryKey: true });
      pk.name = "id";
      pk.column = "id";
      this.fields.unshift(pk);
      this.fieldsByName.set("id", pk);
    }

    this.pk = pk;
    this.columnFields = this.fields.filter((item) => item.hasColumn);
  }

  get name(): string {
    return this.cls?.name || this.table;
  }

  /** Returns the field for an attribute name or an FK id attribute (`authorId`). */
  field(name: string): Field | undefined {
    const found = this.fieldsByName.get(name);

    if (found) {
      return found;
    }

    if (name.endsWith("Id")) {
      const relation = this.fieldsByName.get(name.slice(0, -2));

      if (relation instanceof ForeignKeyField) {
        return relation;
      }
    }

    return undefined;
  }

  /** Names a caller may use in filters and orderings, for error messages. */
  get fieldNames(): string[] {
    // A reverse relation declared with field.reverse() is in both lists.
    return [...new Set([...this.fields.map((item) => item.name), ...this.reverse.keys()])];
  }

  versionField(): Field | undefined {
    return this.fields.find((item) => item.kind === "version");
  }

  /**
   * Links relations to their targets, for this model and every other one
   * defined so far, so reverse accessors exist whichever model is queried
   * first. Safe to call many times.
   */
  resolve(): void {
    if (this.#resolved) {
      return;
    }

    this.#resolved = true;

    for (const other of registry().values()) {
      if (other !== this && other.cls) {
        other.resolve();
      }
    }

    for (const field of this.fields) {
      field.model ??= this.cls;

      if (field instanceof ForeignKeyField) {
        linkForeignKey(this, field);
      } else if (field instanceof ManyToManyField) {
        linkManyToMany(this, field);
      }
    }

    for (const field of this.fields) {
      if (field instanceof ReverseField) {
        linkDeclaredReverse(this, field);
      }
    }
  }
}

function metaOf(cls: ModelClass, from: string): ModelMeta {
  const meta = (cls as { $meta?: ModelMeta } | undefined)?.$meta;

  if (!meta) {
    throw new ValidationError(
      `${from}: the relation target is not a model class. Pass a function that returns a class built with Model.define().`,
    );
  }

  return meta;
}

function addReverse(target: ModelMeta, relation: ReverseRelation): void {
  const existing = target.reverse.get(relation.name);

  if (existing && existing.forward !== relation.forward) {
    throw new ValidationError(
      `${target.name}: two relations use the reverse name "${relation.name}" (${existing.source.name}.${existing.forward.name} and ${relation.source.name}.${relation.forward.name}). Give one of them another relatedName.`,
    );
  }

  target.reverse.set(relation.name, relation);
  installReverseAccessor(target, relation);
}

function linkForeignKey(meta: ModelMeta, field: ForeignKeyField): void {
  const target = metaOf(field.targetModel, `${meta.name}.${field.name}`);

  if (field.relatedName) {
    addReverse(target, {
      name: field.relatedName,
      source: meta,
      forward: field,
      multiple: field.kind !== "oneToOne",
    });
  }
}

function linkManyToMany(meta: ModelMeta, field: ManyToManyField): void {
  const target = metaOf(field.targetModel, `${meta.name}.${field.name}`);
  const throughThunk = field.m2mOptions.through;

  if (throughThunk) {
    const through = metaOf(throughThunk(), `${meta.name}.${field.name}`);
    const keys = through.fields.filter(
      (item): item is ForeignKeyField => item instanceof ForeignKeyField,
    );
    const source = keys.find((key) => metaOf(key.targetModel, through.name) === meta);
    const targetKey = keys.find(
      (key) => key !== source && metaOf(key.targetModel, through.name) === target,
    );

    if (!source || !targetKey) {
      throw new ValidationError(
        `${meta.name}.${field.name}: the through model ${through.name} needs a foreign key to ${meta.name} and one to ${target.name}.`,
      );
    }

    field.throughModel = through.cls;
    field.sourceKey = source;
    field.targetKey = targetKey;
  } else {
    createAutoThrough(meta, field, target);
  }

  if (field.relatedName) {
    addReverse(target, {
      name: field.relatedName,
      source: meta,
      forward: field,
      multiple: true,
    });
  }
}

function createAutoThrough(
  meta: ModelMeta,
  field: ManyToManyField,
  target: ModelMeta,
): void {
  const table = field.m2mOptions.table ?? `${meta.table}_${snakeCase(field.name)}`;
  const sourceName = meta === target ? `from${meta.name}` : lowerFirst(meta.name);
  const targetName = meta === target ? `to${target.name}` : lowerFirst(target.name);
  const sourceKey = new ForeignKeyField("foreignKey", () => meta.cls, {
    onDelete: "cascade",
  });
  const targetKey = new ForeignKeyField("foreignKey", () => target.cls, {
    onDelete: "cascade",
  });
  const through = new ModelMeta(
    table,
    { [sourceName]: sourceKey, [targetName]: targetKey },
    { uniqueTogether: [[sourceName, targetName]] },
  );
  const cls = class extends Model {} as unknown as ModelClass;
  Object.defineProperty(cls, "name", { value: `${meta.name}${upperFirst(field.name)}Through` });
  (cls as unknown as { $meta: ModelMeta }).$meta = through;
  through.cls = cls;
  through.autoCreated = true;
  sourceKey.model = cls;
  targetKey.model = cls;
  registerMeta(through);
  field.throughModel = cls;
  field.sourceKey = sourceKey;
  field.targetKey = targetKey;
}

function linkDeclaredReverse(meta: ModelMeta, field: ReverseField): void {
  const source = metaOf(field.targetModel, `${meta.name}.${field.name}`);
  source.resolve();
  const forward = source.fieldsByName.get(field.forwardName);

  if (!(forward instanceof ForeignKeyField) && !(forward instanceof ManyToManyField)) {
    throw new ValidationError(
      `${meta.name}.${field.name}: ${source.name} has no relation named "${field.forwardName}". Name the foreign key or many-to-many field that points at ${meta.name}.`,
    );
  }

  field.forward = forward;
  addReverse(meta, {
    name: field.name,
    source,
    forward,
    multiple: forward.kind !== "oneToOne",
  });
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function registerMeta(meta: ModelMeta): void {
  registry().set(meta.table, meta);
}

/** Returns every model defined in this process. */
export function registeredModels(): ModelMeta[] {
  return [...registry().values()];
}

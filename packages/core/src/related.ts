import type { Database } from "./database.js";
import { RelationNotLoadedError, ValidationError, describeValue } from "./errors.js";
import { stateOf, STATE, type Model, type ModelClass } from "./model.js";
import { manyRelation, type ManyRelation } from "./query-builder.js";
import { QuerySet } from "./queryset.js";
import { loadRelation } from "./loading.js";
import { writeDatabase } from "./router.js";
import { column } from "./ast.js";

/**
 * The many-valued side of a relation on one instance: a reverse foreign key
 * (`author.posts`) or a many-to-many (`post.tags`). Once loaded by
 * prefetchRelated or `load()`, it iterates synchronously.
 */
export class RelatedSet<M> implements Iterable<M> {
  readonly #owner: Model;
  readonly #name: string;

  constructor(owner: Model, name: string) {
    this.#owner = owner;
    this.#name = name;
  }

  get #ownerMeta() {
    return (this.#owner.constructor as ModelClass).$meta;
  }

  get #relation(): ManyRelation {
    const relation = manyRelation(this.#ownerMeta, this.#name);

    if (!relation) {
      throw new ValidationError(
        `${this.#ownerMeta.name}.${this.#name} is not a many-valued relation.`,
        { model: this.#ownerMeta.name, field: this.#name },
      );
    }

    return relation;
  }

  /** True once the related rows are loaded on the instance. */
  get loaded(): boolean {
    return stateOf(this.#owner).related.has(this.#name);
  }

  /** Returns the loaded related instances; throws RelationNotLoadedError if not loaded. */
  toArray(): M[] {
    const related = stateOf(this.#owner).related;

    if (!related.has(this.#name)) {
      throw new RelationNotLoadedError(
        `${this.#ownerMeta.name}.${this.#name} is not loaded. Add prefetchRelated("${this.#name}") to the query, or call await instance.load("${this.#name}") first.`,
        { model: this.#ownerMeta.name, field: this.#name },
      );
    }

    return related.get(this.#name) as M[];
  }

  [Symbol.iterator](): Iterator<M> {
    return this.toArray()[Symbol.iterator]();
  }

  get length(): number {
    return this.toArray().length;
  }

  /** Loads the related rows (with peer batching) and returns them. */
  async all(): Promise<M[]> {
    if (!this.loaded) {
      await loadRelation(this.#owner, this.#name);
    }

    return this.toArray();
  }

  /** Returns a QuerySet over the related rows, for further filtering. */
  query(): QuerySet<M & Model> {
    const relation = this.#relation;
    const ownerPk = this.#ownerPk();
    const db = stateOf(this.#owner).db;
    const base = new QuerySet(relation.target.cls, db) as QuerySet<M & Model>;

    if (relation.kind === "reverseForeignKey") {
      return base.filter({ [relation.foreignKey!.name]: ownerPk } as never);
    }

    return base.whereNode((scope) => {
      const through = relation.throughMeta!;
      const alias = scope.aliases.next("m");

      return {
        kind: "inSubquery",
        lhs: column(scope.alias, relation.target.pk.column),
        query: {
          kind: "select",
          table: through.table,
          alias,
          columns: [{ expression: column(alias, relation.toColumn!) }],
          joins: [],
          where: {
            kind: "lookup",
            lookup: "exact",
            lhs: column(alias, relation.fromColumn!),
            value: ownerPk,
            field: this.#ownerMeta.pk,
          },
          groupBy: [],
          having: undefined,
          orderBy: [],
          limit: undefined,
          offset: undefined,
          distinct: false,
          lock: undefined,
        },
      };
    });
  }

  filter(conditions: Parameters<QuerySet<M & Model>["filter"]>[0]): QuerySet<M & Model> {
    return this.query().filter(conditions);
  }

  count(): Promise<number> {
    return this.query().count();
  }

  #ownerPk(): unknown {
    const pk = this.#owner.pk;

    if (pk === null || pk === undefined) {
      throw new ValidationError(
        `${this.#ownerMeta.name}.${this.#name}: the instance has no primary key yet. Save it first.`,
        { model: this.#ownerMeta.name, field: this.#name },
      );
    }

    return pk;
  }

  #manyToMany(action: string): ManyRelation {
    const relation = this.#relation;

    if (relation.kind !== "manyToMany") {
      throw new ValidationError(
        `${this.#ownerMeta.name}.${this.#name}.${action}() works on many-to-many relations only. Set the foreign key on the related instance and save it instead.`,
        { model: this.#ownerMeta.name, field: this.#name },
      );
    }

    return relation;
  }

  #targetKeys(relation: ManyRelation, items: readonly (M | unknown)[]): unknown[] {
    return items.map((item) => {
      const key = typeof item === "object" && item !== null && STATE in item ? (item as unknown as Model).pk : item;

      if (key === null || key === undefined) {
        throw new ValidationError(
          `${this.#ownerMeta.name}.${this.#name}: cannot link ${describeValue(item)}; save the ${relation.target.name} first or pass its id.`,
          { model: this.#ownerMeta.name, field: this.#name },
        );
      }

      return key;
    });
  }

  /** Links related instances (or ids); links that exist are left alone. */
  async add(...items: (M | number | string | bigint)[]): Promise<void> {
    const relation = this.#manyToMany("add");
    const ownerPk = this.#ownerPk();
    const keys = this.#targetKeys(relation, items);
    const db = this.#database();
    const through = relation.throughMeta!;
    const fromField = through.columnFields.find((item) => item.column === relation.fromColumn)!;
    const toField = through.columnFields.find((item) => item.column === relation.toColumn)!;
    const existing = new Set(
      (await new QuerySet(through.cls, db)
        .filter({ [`${fromField.name}Id`]: ownerPk, [`${toField.name}Id__in`]: keys } as never)
        .valuesList(`${toField.name}Id` as never)) .map((row) => String((row as unknown as unknown[])[0])),
    );
    const fresh = [...new Set(keys.map(String))]
      .filter((key) => !existing.has(key))
      .map((key) => keys.find((item) => String(item) === key));

    await new QuerySet(through.cls, db).bulkCreate(
      fresh.map((key) => ({ [`${fromField.name}Id`]: ownerPk, [`${toField.name}Id`]: key })) as never,
    );
    stateOf(this.#owner).related.delete(this.#name);
  }

  /** Unlinks related instances (or ids). */
  async remove(...items: (M | number | string | bigint)[]): Promise<void> {
    const relation = this.#manyToMany("remove");
    const keys = this.#targetKeys(relation, items);
    const through = relation.throughMeta!;
    const fromField = through.columnFields.find((item) => item.column === relation.fromColumn)!;
    const toField = through.columnFields.find((item) => item.column === relation.toColumn)!;

    await new QuerySet(through.cls, this.#database())
      .filter({ [`${fromField.name}Id`]: this.#ownerPk(), [`${toField.name}Id__in`]: keys } as never)
      .delete();
    stateOf(this.#owner).related.delete(this.#name);
  }

  /** Makes the links exactly `items`, in one transaction. */
  async set(items: readonly (M | number | string | bigint)[]): Promise<void> {
    const relation = this.#manyToMany("set");
    const keys = this.#targetKeys(relation, items);
    const through = relation.throughMeta!;
    const fromField = through.columnFields.find((item) => item.column === relation.fromColumn)!;
    const toField = through.columnFields.find((item) => item.column === relation.toColumn)!;
    const db = this.#database();

    await db.transaction(async () => {
      const query = new QuerySet(through.cls, db).filter({ [`${fromField.name}Id`]: this.#ownerPk() } as never);
      await (keys.length > 0
        ? query.exclude({ [`${toField.name}Id__in`]: keys } as never)
        : query
      ).delete();

      if (keys.length > 0) {
        await this.add(...(keys as (number | string)[]));
      }
    });
    stateOf(this.#owner).related.delete(this.#name);
  }

  /** Removes every link of this instance. */
  async clear(): Promise<void> {
    await this.set([]);
  }

  // Link changes are writes, so they follow the router's write choice.
  #database(): Database {
    return writeDatabase(this.#owner.constructor as ModelClass, undefined, this.#owner);
  }
}

import {
  and,
  column,
  type LockNode,
  type SelectNode,
  type WhereNode,
} from "./ast.js";
import type { CompiledQuery } from "./dialect.js";
import { Database, resolveDatabase } from "./database.js";
import {
  DoesNotExist,
  MultipleObjectsReturned,
  NotSupportedError,
  UniqueViolation,
  ValidationError,
  describeValue,
} from "./errors.js";
import { hydrate, selectModelColumns, type HydrationPlan } from "./hydrate.js";
import { prefetch } from "./loading.js";
import type { ModelMeta } from "./model-meta.js";
import { STATE, type Model, type ModelClass } from "./model.js";
import { insertInstances } from "./persistence.js";
import { Q, toNode, type QNode } from "./q.js";
import {
  buildOrdering,
  buildWhere,
  newSelect,
  resolveColumn,
  type Scope,
} from "./query-builder.js";
import type {
  CreateInput,
  FieldPath,
  FieldsOf,
  FilterInput,
  OrderKey,
  RelationName,
  SelectRelatedPath,
  UpdateInput,
  ValuesRow,
  ValuesTuple,
} from "./types.js";
import { validateValue } from "./validate.js";
import { value } from "./ast.js";
import { attributeName } from "./model.js";
import { ForeignKeyField } from "./fields.js";

interface QueryState {
  filters: QNode[];
  /** Extra conditions built directly as AST, for relation sets. */
  nodes: ((scope: Scope) => WhereNode)[];
  ordering: readonly string[] | undefined;
  limit: number | undefined;
  offset: number | undefined;
  distinct: boolean;
  selectRelated: readonly string[];
  prefetch: readonly string[];
  relationMode: "lazy" | "raise" | undefined;
  lock: LockNode | undefined;
}

const EMPTY_STATE: QueryState = {
  filters: [],
  nodes: [],
  ordering: undefined,
  limit: undefined,
  offset: undefined,
  distinct: false,
  selectRelated: [],
  prefetch: [],
  relationMode: undefined,
  lock: undefined,
};

/** Rows streamed per batch by `for await`. */
const STREAM_BATCH_SIZE = 500;

type Fields<M> = FieldsOf<M>;

function checkCount(caller: string, name: string, count: unknown): number {
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
    throw new ValidationError(
      `${caller}: invalid ${name} ${describeValue(count)}. Pass a whole number of 0 or more.`,
      { value: count },
    );
  }

  return count;
}

/**
 * A lazy, immutable query over one model. Every method that narrows or
 * orders returns a new QuerySet; nothing runs until a terminal method
 * (`all`, `first`, `count`, `update`, ...) or `for await`.
 */
export class QuerySet<M extends Model> implements AsyncIterable<M> {
  readonly model: ModelClass<M>;
  readonly #db: Database | string | undefined;
  readonly #state: QueryState;

  constructor(model: ModelClass<M>, db?: Database | string, state: QueryState = EMPTY_STATE) {
    this.model = model;
    this.#db = db;
    this.#state = state;
  }

  get #meta(): ModelMeta {
    return this.model.$meta;
  }

  #clone(patch: Partial<QueryState>): QuerySet<M> {
    return new QuerySet(this.model, this.#db, { ...this.#state, ...patch });
  }

  #caller(method: string): string {
    return `${this.#meta.name}.objects.${method}()`;
  }

  /** The database this query runs on. */
  get db(): Database {
    return resolveDatabase(this.#db);
  }

  /** Runs the query on another database (an instance or a name). */
  using(db: Database | string): QuerySet<M> {
    return new QuerySet(this.model, db, this.#state);
  }

  /** Keeps rows matching every condition. `{ x: null }` means IS NULL. */
  filter(conditions: FilterInput<Fields<M>> | Q<Fields<M>>): QuerySet<M> {
    return this.#clone({ filters: [...this.#state.filters, toNode(conditions)] });
  }

  /** Drops rows matching all the conditions. */
  exclude(conditions: FilterInput<Fields<M>> | Q<Fields<M>>): QuerySet<M> {
    return this.#clone({
      filters: [...this.#state.filters, { kind: "not", child: toNode(conditions) }],
    });
  }

  /** @internal Adds a condition built as AST. */
  whereNode(build: (scope: Scope) => WhereNode): QuerySet<M> {
    return this.#clone({ nodes: [...this.#state.nodes, build] });
  }

  /** Orders by fields; `-field` sorts descending. Replaces earlier orderings. */
  orderBy(...keys: OrderKey<Fields<M>>[]): QuerySet<M> {
    return this.#clone({ ordering: keys as string[] });
  }

  limit(count: number): QuerySet<M> {
    return this.#clone({ limit: checkCount(this.#caller("limit"), "limit", count) });
  }

  offset(count: number): QuerySet<M> {
    return this.#clone({ offset: checkCount(this.#caller("offset"), "offset", count) });
  }

  distinct(): QuerySet<M> {
    return this.#clone({ distinct: true });
  }

  /** Loads foreign keys in the same query with joins. */
  selectRelated(...paths: SelectRelatedPath<Fields<M>>[]): QuerySet<M> {
    return this.#clone({ selectRelated: [...this.#state.selectRelated, ...(paths as string[])] });
  }

  /** Loads relations with one extra query per relation. */
  prefetchRelated(...paths: (RelationName<Fields<M>> | `${RelationName<Fields<M>>}__${string}`)[]): QuerySet<M> {
    return this.#clone({ prefetch: [...this.#state.prefetch, ...(paths as string[])] });
  }

  /**
   * Sets how unloaded relations of the results behave: "lazy" loads on
   * `load()` for the whole result set at once, "raise" throws.
   */
  relationLoading(mode: "lazy" | "raise"): QuerySet<M> {
    return this.#clone({ relationMode: mode });
  }

  /**
   * Locks the selected rows until the transaction ends. PostgreSQL and
   * MySQL support it; SQLite raises NotSupportedError, because it locks the
   * whole database for a write transaction instead.
   */
  selectForUpdate(options: { nowait?: boolean; skipLocked?: boolean; of?: string[] } = {}): QuerySet<M> {
    return this.#clone({
      lock: { nowait: options.nowait ?? false, skipLocked: options.skipLocked ?? false, of: options.of ?? [] },
    });
  }

  #where(scope: Scope): WhereNode | undefined {
    return and([
      ...this.#state.filters.map((node) => buildWhere(scope, node)),
      ...this.#state.nodes.map((build) => build(scope)),
    ]);
  }

  #ordering(): readonly string[] {
    return this.#state.ordering ?? this.#meta.options.ordering ?? [];
  }

  #buildSelect(method: string, ordering: readonly string[] = this.#ordering()): {
    select: SelectNode;
    plan: HydrationPlan;
  } {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller(method));
    const plan = selectModelColumns(select, scope, db.dialect.compiler, this.#state.selectRelated);
    select.where = this.#where(scope);
    select.orderBy = buildOrdering(scope, ordering);
    select.joins = scope.joins;
    select.limit = this.#state.limit;
    select.offset = this.#state.offset;
    select.distinct = this.#state.distinct;

    if (this.#state.lock) {
      if (!db.dialect.capabilities.selectForUpdate) {
        throw new NotSupportedError(
          `${this.#caller("selectForUpdate")}: ${db.dialect.name} has no row locks. SQLite serializes writers for the whole database; run the read and the write in db.transaction() instead.`,
          { model: this.#meta.name, dialect: db.dialect.name },
        );
      }

      select.lock = this.#state.lock;
    }

    return { select, plan };
  }

  /** Returns the SQL and parameters the query would run, without running it. */
  toSQL(): CompiledQuery {
    return this.db.dialect.compiler.compile(this.#buildSelect("toSQL").select);
  }

  async #run(select: SelectNode, plan: HydrationPlan): Promise<M[]> {
    const db = this.db;
    const result = await db.execute(db.dialect.compiler.compile(select), {
      rowMode: "array",
      returnsRows: true,
      bigintColumns: plan.parts.flatMap((part) => part.reader.bigintColumns.map((index) => part.start + index)),
    });
    const rows = hydrate(result.rows, plan, db, this.#state.relationMode ?? db.relationLoading) as M[];

    for (const path of this.#state.prefetch) {
      await prefetch(db, rows, path);
    }

    return rows;
  }

  /** Runs the query and returns every matching instance. */
  async all(): Promise<M[]> {
    const { select, plan } = this.#buildSelect("all");

    return this.#run(select, plan);
  }

  /** Returns the first row in the query's order (by primary key if unordered). */
  async first(): Promise<M | null> {
    const ordering = this.#ordering();
    const { select, plan } = this.#buildSelect("first", ordering.length > 0 ? ordering : [this.#meta.pk.name]);
    select.limit = 1;
    const [row] = await this.#run(select, plan);

    return row ?? null;
  }

  /** Returns the last row in the query's order (by primary key if unordered). */
  async last(): Promise<M | null> {
    const ordering = this.#ordering();
    const reversed = (ordering.length > 0 ? ordering : [this.#meta.pk.name]).map((key) =>
      key.startsWith("-") ? key.slice(1) : `-${key}`,
    );
    const { select, plan } = this.#buildSelect("last", reversed);
    select.limit = 1;
    const [row] = await this.#run(select, plan);

    return row ?? null;
  }

  /** Returns the one matching row; raises DoesNotExist or MultipleObjectsReturned. */
  async get(conditions?: FilterInput<Fields<M>> | Q<Fields<M>>): Promise<M> {
    const query = conditions ? this.filter(conditions) : this;
    const { select, plan } = query.#buildSelect("get", []);
    select.limit = 2;
    const rows = await query.#run(select, plan);
    const shown = conditions ? describeValue(conditions instanceof Q ? conditions.node : conditions) : "the query";

    if (rows.length === 0) {
      throw new DoesNotExist(`${this.#meta.name} matching ${shown} does not exist.`, {
        model: this.#meta.name,
      });
    }

    if (rows.length > 1) {
      throw new MultipleObjectsReturned(
        `${this.#meta.name}.objects.get() found more than one row matching ${shown}. Add conditions that select one row, or use filter().`,
        { model: this.#meta.name },
      );
    }

    return rows[0]!;
  }

  /** Counts matching rows; a distinct or sliced query is counted as a subquery. */
  async count(): Promise<number> {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller("count"));
    select.where = this.#where(scope);
    select.joins = scope.joins;
    let compiled: CompiledQuery;

    const sliced = this.#state.limit !== undefined || (this.#state.offset ?? 0) > 0;

    if (this.#state.distinct || sliced) {
      select.columns = [{ expression: column(scope.alias, this.#meta.pk.column) }];
      select.distinct = this.#state.distinct;
      select.limit = this.#state.limit;
      select.offset = this.#state.offset;
      // The ordering matters only for which rows a slice keeps. PostgreSQL
      // and MySQL reject SELECT DISTINCT ... ORDER BY a column missing from
      // the select list, so the ordered columns are selected too; the
      // primary key already keeps the rows distinct.
      select.orderBy = sliced ? buildOrdering(scope, this.#ordering()) : [];

      if (select.distinct) {
        select.orderBy.forEach((item, index) => {
          select.columns.push({ expression: item.expression, alias: `order_${index + 1}` });
        });
      }

      compiled = db.dialect.compiler.compileCountOf(select);
    } else {
      select.columns = [{ expression: { kind: "aggregate", fn: "count", arg: "*", distinct: false } }];
      compiled = db.dialect.compiler.compile(select);
    }

    const result = await db.execute(compiled, { rowMode: "array", returnsRows: true });

    return Number((result.rows[0] as unknown[])[0]);
  }

  /** True when at least one row matches. */
  async exists(): Promise<boolean> {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller("exists"));
    select.where = this.#where(scope);
    select.joins = scope.joins;
    select.columns = [{ expression: { kind: "raw", parts: ["1"], params: [] } }];
    select.limit = 1;
    select.offset = this.#state.offset;
    const result = await db.execute(db.dialect.compiler.compile(select), { rowMode: "array", returnsRows: true });

    return result.rows.length > 0;
  }

  /** The WHERE for a write: direct, or `pk IN (subquery)` when joins are needed. */
  #writeWhere(method: string): WhereNode | undefined {
    const { select, scope } = newSelect(this.#meta, this.#caller(method));
    const where = this.#where(scope);

    if (this.#state.limit !== undefined || this.#state.offset !== undefined) {
      throw new ValidationError(
        `${this.#caller(method)}: cannot ${method} a sliced query (limit or offset). Filter on primary keys instead.`,
        { model: this.#meta.name },
      );
    }

    if (scope.joins.length === 0) {
      return where;
    }

    select.joins = scope.joins;
    select.where = where;
    select.columns = [{ expression: column(scope.alias, this.#meta.pk.column) }];

    return { kind: "inSubquery", lhs: column(this.#meta.table, this.#meta.pk.column), query: select };
  }

  /**
   * Updates matching rows and returns how many matched (rows written with
   * equal values count too). onUpdate fields are set as well.
   */
  async update(values: UpdateInput<Fields<M>>): Promise<number> {
    const meta = this.#meta;
    const entries = Object.entries(values as Record<string, unknown>);

    if (entries.length === 0) {
      throw new ValidationError(`${this.#caller("update")}: no fields to update. Pass at least one field and value.`, {
        model: meta.name,
      });
    }

    const set: { column: string; value: ReturnType<typeof value> }[] = [];
    const named = new Set<string>();

    for (const [key, item] of entries) {
      const target = meta.field(key);

      if (!target || !target.hasColumn || target === meta.pk) {
        throw new ValidationError(
          `${this.#caller("update")}: unknown or read-only field "${key}". Updatable fields are ${meta.columnFields.filter((field) => field !== meta.pk).map(attributeName).join(", ")}.`,
          { model: meta.name, field: key },
        );
      }

      const raw = target instanceof ForeignKeyField && key === target.name && item && typeof item === "object" && STATE in item ? (item as Model).pk : item;
      set.push({ column: target.column, value: value(validateValue(target, raw), target) });
      named.add(target.name);
    }

    for (const item of meta.columnFields) {
      if (item.options.onUpdate !== undefined && !named.has(item.name)) {
        set.push({ column: item.column, value: value(validateValue(item, item.onUpdateValue()), item) });
      }
    }

    const db = this.db;
    const node = { kind: "update" as const, table: meta.table, set, where: this.#writeWhere("update"), returning: [] };
    const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });

    return result.rowCount;
  }

  /** Deletes matching rows and returns how many were deleted. */
  async delete(): Promise<number> {
    const meta = this.#meta;
    const db = this.db;
    const node = { kind: "delete" as const, table: meta.table, where: this.#writeWhere("delete"), returning: [] };
    const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });

    return result.rowCount;
  }

  /** Inserts one row and returns the saved instance. */
  async create(data: CreateInput<Fields<M>>): Promise<M> {
    const instance = new this.model(data);
    await insertInstances(this.db, this.#meta, [instance]);

    return instance;
  }

  /**
   * Inserts many rows, chunked by the dialect's bound-parameter limit, in
   * one transaction. Returns the instances with their generated keys.
   */
  async bulkCreate(items: readonly (CreateInput<Fields<M>> | M)[], options: { batchSize?: number } = {}): Promise<M[]> {
    const instances = items.map((item) =>
      typeof item === "object" && item !== null && STATE in item ? (item as M) : new this.model(item),
    );
    await insertInstances(this.db, this.#meta, instances, options);

    return instances;
  }

  /**
   * Returns `[instance, created]`: the row matching `lookup`, or a new one
   * built from `lookup` and `defaults`. A concurrent insert of the same
   * unique key is caught and the winner's row returned.
   */
  async getOrCreate(
    lookup: FilterInput<Fields<M>>,
    defaults: Partial<CreateInput<Fields<M>>> = {},
  ): Promise<[M, boolean]> {
    const existing = await this.filter(lookup).first();

    if (existing) {
      return [existing, false];
    }

    const data = { ...plainValues(lookup as Record<string, unknown>), ...defaults } as CreateInput<Fields<M>>;

    try {
      const created = await this.db.transaction(() => this.create(data));

      return [created, true];
    } catch (error) {
      if (error instanceof UniqueViolation) {
        const winner = await this.filter(lookup).first();

        if (winner) {
          return [winner, false];
        }
      }

      throw error;
    }
  }

  /** Updates the row matching `lookup` with `defaults`, or creates it. Returns `[instance, created]`. */
  async updateOrCreate(
    lookup: FilterInput<Fields<M>>,
    defaults: Partial<CreateInput<Fields<M>>> = {},
  ): Promise<[M, boolean]> {
    const db = this.db;

    return db.transaction(async () => {
      const [instance, created] = await this.getOrCreate(lookup, defaults);

      if (!created) {
        const target = instance as unknown as Record<string, unknown>;

        for (const [key, item] of Object.entries(defaults as Record<string, unknown>)) {
          target[key] = item;
        }

        await instance.save();
      }

      return [instance, created];
    });
  }

  #valuesSelect(method: string, paths: readonly string[]) {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller(method));
    const names = paths.length > 0 ? paths : this.#meta.columnFields.map(attributeName);
    const readers = names.map((name) => {
      const resolved = resolveColumn(scope, name);

      if (resolved.rest.length > 0) {
        throw new ValidationError(
          `${this.#caller(method)}: "${name}" is not a field path. Name fields, such as "title" or "author__username".`,
          { model: this.#meta.name, value: name },
        );
      }

      select.columns.push({ expression: resolved.column });

      return db.dialect.compiler.fromDriver(resolved.field);
    });
    select.where = this.#where(scope);
    select.orderBy = buildOrdering(scope, this.#ordering());
    select.joins = scope.joins;
    select.limit = this.#state.limit;
    select.offset = this.#state.offset;
    select.distinct = this.#state.distinct;

    return { select, names, readers };
  }

  async #valuesRows(method: string, paths: readonly string[]) {
    const db = this.db;
    const { select, names, readers } = this.#valuesSelect(method, paths);
    const result = await db.execute(db.dialect.compiler.compile(select), { rowMode: "array", returnsRows: true });
    const rows = (result.rows as unknown[][]).map((row) =>
      row.map((raw, index) => (raw === null || raw === undefined ? null : readers[index] ? readers[index]!(raw) : raw)),
    );

    return { rows, names };
  }

  /** Returns plain objects with the named field paths. */
  async values<const P extends FieldPath<Fields<M>>>(...paths: P[]): Promise<ValuesRow<Fields<M>, P>[]> {
    const { rows, names } = await this.#valuesRows("values", paths);

    return rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index]]))) as ValuesRow<Fields<M>, P>[];
  }

  /** Returns tuples of the named field paths. */
  async valuesList<const P extends readonly FieldPath<Fields<M>>[]>(...paths: P): Promise<ValuesTuple<Fields<M>, P>[]> {
    const { rows } = await this.#valuesRows("valuesList", paths);

    return rows as ValuesTuple<Fields<M>, P>[];
  }

  /** Returns one field's values as a flat array. */
  async flatValues<const P extends FieldPath<Fields<M>>>(path: P): Promise<ValuesTuple<Fields<M>, [P]>[0][]> {
    const { rows } = await this.#valuesRows("flatValues", [path]);

    return rows.map((row) => row[0]) as ValuesTuple<Fields<M>, [P]>[0][];
  }

  /**
   * Streams the results with bounded memory: rows come from a driver
   * cursor in batches, and prefetches run per batch.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<M> {
    const db = this.db;
    const { select, plan } = this.#buildSelect("iterate");
    const compiled = db.dialect.compiler.compile(select);
    const mode = this.#state.relationMode ?? db.relationLoading;
    let batch: unknown[] = [];
    const flush = async () => {
      const rows = hydrate(batch, plan, db, mode) as M[];
      batch = [];

      for (const path of this.#state.prefetch) {
        await prefetch(db, rows, path);
      }

      return rows;
    };

    for await (const row of db.stream(compiled, {
      rowMode: "array",
      returnsRows: true,
      batchSize: STREAM_BATCH_SIZE,
      bigintColumns: plan.parts.flatMap((part) => part.reader.bigintColumns.map((index) => part.start + index)),
    })) {
      batch.push(row);

      if (batch.length >= STREAM_BATCH_SIZE) {
        yield* await flush();
      }
    }

    if (batch.length > 0) {
      yield* await flush();
    }
  }
}

function plainValues(lookup: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};

  for (const [key, item] of Object.entries(lookup)) {
    const name = key.endsWith("__exact") ? key.slice(0, -7) : key;

    if (!name.includes("__")) {
      result[name] = item;
    }
  }

  return result;
}

export type { RelationName };

import {
  and,
  column,
  type LockNode,
  type SelectNode,
  type WhereNode,
} from "./ast.js";
import type { CompiledQuery } from "./dialect.js";
import type { SqlCompiler } from "./compiler.js";
import type { Database } from "./database.js";
import {
  DoesNotExist,
  MultipleObjectsReturned,
  NotSupportedError,
  UniqueViolation,
  DeadlockError,
  ValidationError,
  describeValue,
} from "./errors.js";
import { retry } from "./retry.js";
import { hydrate, selectModelColumns, type HydrationPlan } from "./hydrate.js";
import { cachedSelect, type PreparedSelect } from "./select-cache.js";
import { prefetch } from "./loading.js";
import type { ModelMeta } from "./model-meta.js";
import { STATE, type Model, type ModelClass } from "./model.js";
import { insertInstances } from "./persistence.js";
import { bulkUpdateInstances } from "./bulk-update.js";
import { checkLockOptions, resolveLockTargets, type LockOptions } from "./locking.js";
import { explainQuery, rawInstances, toFragment } from "./raw-query.js";
import type { SqlFragment } from "./sql.js";
import { upsertInstances, type OnConflict } from "./upsert.js";
import { Q, toNode, type QNode } from "./q.js";
import {
  buildOrdering,
  buildWhere,
  newSelect,
  resolveColumn,
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
import { emptySelect, value, type ExpressionNode } from "./ast.js";
import {
  Aggregate,
  OrderTerm,
  isExpression,
  setExpressionContext,
  type Expression,
  type Reader,
} from "./expressions.js";
import { ValuesQuerySet } from "./values-queryset.js";
import { type Cte, CteColumn } from "./cte.js";
import { readDatabase, writeDatabase } from "./router.js";
import { softDeleteCondition, softDeleteField, type DeletedRows } from "./soft-delete-scope.js";
import type { AnnotationFields, AnnotationOrderKey, AnnotationValues, Conditions } from "./queryset-types.js";
import { Scope, correlatedSelect, splitAtManyRelation } from "./query-builder.js";
import { attributeName } from "./model.js";
import { ForeignKeyField } from "./fields.js";

/** One ordering key: a field path or annotation name, or an expression. */
type OrderItem = string | OrderTerm | Expression;

interface QueryState {
  filters: QNode[];
  /** Annotations in the order they were added. */
  annotations: readonly (readonly [string, Expression])[];
  /** Common table expressions declared with with(). */
  ctes: readonly Cte<any>[];
  /** A CTE of this model's rows to select from instead of the table. */
  fromCte: Cte<any> | undefined;
  /** Extra conditions built directly as AST, for relation sets. */
  nodes: ((scope: Scope) => WhereNode)[];
  ordering: readonly OrderItem[] | undefined;
  limit: number | undefined;
  offset: number | undefined;
  distinct: boolean;
  selectRelated: readonly string[];
  prefetch: readonly string[];
  relationMode: "lazy" | "raise" | undefined;
  lock: LockNode | undefined;
  /** Which rows of a SoftDelete model the query reads. */
  deleted: DeletedRows;
}

const EMPTY_STATE: QueryState = {
  filters: [],
  annotations: [],
  ctes: [],
  fromCte: undefined,
  nodes: [],
  ordering: undefined,
  limit: undefined,
  offset: undefined,
  distinct: false,
  selectRelated: [],
  prefetch: [],
  relationMode: undefined,
  lock: undefined,
  deleted: "hide",
};

/** Rows streamed per batch by `for await` and iterate(). */
const STREAM_BATCH_SIZE = 1000;
/** Runs of an outermost updateOrCreate() transaction that a deadlock may cost. */
const UPDATE_OR_CREATE_ATTEMPTS = 3;

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
export class QuerySet<M extends Model, A extends object = Record<never, never>> implements AsyncIterable<M> {
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

  /** The table or CTE name the query reads from. */
  get #source(): string {
    return this.#state.fromCte?.name ?? this.#meta.table;
  }

  /** Declares common table expressions for this query. */
  with(...ctes: Cte<any>[]): QuerySet<M, A> {
    return this.#clone({ ctes: [...this.#state.ctes, ...ctes] });
  }

  /**
   * Reads rows from a CTE of this model's rows instead of the table; the
   * CTE's annotations (such as a depth) are set on each instance.
   */
  fromCte(source: Cte<M>): QuerySet<M, A> {
    if (source.query.model.$meta !== this.#meta) {
      throw new ValidationError(
        `${this.#caller("fromCte")}: the CTE "${source.name}" contains ${source.query.model.$meta.name} rows, not ${this.#meta.name} rows. Read it with ${source.query.model.$meta.name}.objects.fromCte().`,
        { model: this.#meta.name, value: source.name },
      );
    }

    return this.#clone({
      fromCte: source,
      ctes: this.#state.ctes.includes(source) ? this.#state.ctes : [...this.#state.ctes, source],
    });
  }

  /** @internal Names of the annotations, in select-list order. */
  annotationNames(): string[] {
    return this.#state.annotations.map(([name]) => name);
  }

  /** @internal Readers of the annotations in `scope`. */
  annotationReaders(scope: Scope): { name: string; read: Reader }[] {
    const compiler = this.db.dialect.compiler;

    return this.#state.annotations.map(([name, item]) => ({ name, read: item.reader(scope, compiler) }));
  }

  /** Adds the WITH clause of the declared CTEs to a top-level select. */
  #attachCtes(select: SelectNode, scope: Scope): void {
    if (this.#state.ctes.length > 0) {
      select.ctes = this.#state.ctes.map((item) => item.toNode(scope));
    }
  }

  /** @internal The SELECT of a CTE body: model columns, then annotations, in order. */
  cteSelect(outer: Scope): SelectNode {
    const meta = this.#meta;
    meta.resolve();
    const alias = outer.aliases.next("w");
    const scope = new Scope(meta, alias, outer.aliases, this.#caller("cte"), outer);
    const select = emptySelect(meta.table, alias);
    this.#prepareScope(scope, false);

    for (const item of meta.columnFields) {
      select.columns.push({ expression: column(alias, item.column, item) });
    }

    for (const [name] of this.#state.annotations) {
      select.columns.push({ expression: scope.annotations.get(name)!.node });
    }

    select.where = this.#where(scope);
    select.joins = scope.joins;

    return select;
  }

  #clone(patch: Partial<QueryState>): QuerySet<M, A> {
    return new QuerySet<M, A>(this.model, this.#db, { ...this.#state, ...patch });
  }

  #caller(method: string): string {
    return `${this.#meta.name}.objects.${method}()`;
  }

  /** The database this query reads from: the `using()` one, or the routed one. */
  get db(): Database {
    return readDatabase(this.model, this.#db);
  }

  /** The database this query's writes go to: the `using()` one, or the routed one. */
  get writeDb(): Database {
    return writeDatabase(this.model, this.#db);
  }

  /** Includes soft-deleted rows of a SoftDelete model; other models are unaffected. */
  withDeleted(): QuerySet<M, A> {
    return this.#clone({ deleted: "include" });
  }

  /** Keeps only soft-deleted rows; raises ValidationError for other models. */
  onlyDeleted(): QuerySet<M, A> {
    if (softDeleteField(this.model) === undefined) {
      throw new ValidationError(
        `${this.#caller("onlyDeleted")}: ${this.#meta.name} is not a SoftDelete model, so no row is soft-deleted. Add SoftDelete to its Model.define() list.`,
        { model: this.#meta.name },
      );
    }

    return this.#clone({ deleted: "only" });
  }

  /** Runs the query on another database (an instance or a name). */
  using(db: Database | string): QuerySet<M, A> {
    return new QuerySet<M, A>(this.model, db, this.#state);
  }

  /** Keeps rows matching every condition. `{ x: null }` means IS NULL. */
  filter(conditions: Conditions<M, A>): QuerySet<M, A> {
    return this.#clone({ filters: [...this.#state.filters, toNode(conditions)] });
  }

  /** Drops rows matching all the conditions. */
  exclude(conditions: Conditions<M, A>): QuerySet<M, A> {
    return this.#clone({
      filters: [...this.#state.filters, { kind: "not", child: toNode(conditions) }],
    });
  }

  /** @internal Adds a condition built as AST. */
  whereNode(build: (scope: Scope) => WhereNode): QuerySet<M, A> {
    return this.#clone({ nodes: [...this.#state.nodes, build] });
  }

  /**
   * Orders by fields (`-field` sorts descending), annotation names, or
   * expressions (`F("views").desc()`). Replaces earlier orderings.
   */
  orderBy(...keys: (OrderKey<Fields<M>> | AnnotationOrderKey<A> | OrderTerm | Expression)[]): QuerySet<M, A> {
    return this.#clone({ ordering: keys as OrderItem[] });
  }

  limit(count: number): QuerySet<M, A> {
    return this.#clone({ limit: checkCount(this.#caller("limit"), "limit", count) });
  }

  offset(count: number): QuerySet<M, A> {
    return this.#clone({ offset: checkCount(this.#caller("offset"), "offset", count) });
  }

  distinct(): QuerySet<M, A> {
    return this.#clone({ distinct: true });
  }

  /** Loads foreign keys in the same query with joins. */
  selectRelated(...paths: SelectRelatedPath<Fields<M>>[]): QuerySet<M, A> {
    return this.#clone({ selectRelated: [...this.#state.selectRelated, ...(paths as string[])] });
  }

  /** Loads relations with one extra query per relation. */
  prefetchRelated(...paths: (RelationName<Fields<M>> | `${RelationName<Fields<M>>}__${string}`)[]): QuerySet<M, A> {
    return this.#clone({ prefetch: [...this.#state.prefetch, ...(paths as string[])] });
  }

  /**
   * Sets how unloaded relations of the results behave: "lazy" loads on
   * `load()` for the whole result set at once, "raise" throws.
   */
  relationLoading(mode: "lazy" | "raise"): QuerySet<M, A> {
    return this.#clone({ relationMode: mode });
  }

  /**
   * Locks the selected rows until the transaction ends. PostgreSQL and
   * MySQL support it; SQLite raises NotSupportedError, because it locks the
   * whole database for a write transaction instead.
   */
  selectForUpdate(options: LockOptions = {}): QuerySet<M, A> {
    return this.#clone({ lock: checkLockOptions(this.#caller("selectForUpdate"), options) });
  }

  /**
   * Adds computed attributes to each result. An aggregate over a
   * multi-valued relation (`Count("comments")`) becomes a correlated
   * subquery, so several of them never multiply each other's rows.
   *
   * @example
   * const posts = await Post.objects.annotate({ comments: Count("comments") }).orderBy("-comments").all();
   */
  annotate<const N extends Record<string, Expression>>(
    annotations: N,
  ): QuerySet<M & AnnotationValues<N>, A & AnnotationValues<N>> {
    const entries = Object.entries(annotations);

    for (const [name, item] of entries) {
      if (!isExpression(item)) {
        throw new ValidationError(
          `${this.#caller("annotate")}: the annotation "${name}" is ${describeValue(item)}, not an expression. Use F(), Count(), Sum(), new Value(...) and the like.`,
          { model: this.#meta.name, value: name },
        );
      }

      if (this.#meta.field(name) || this.#meta.reverse.has(name)) {
        throw new ValidationError(
          `${this.#caller("annotate")}: the annotation "${name}" has the name of a field of ${this.#meta.name}. Choose another name.`,
          { model: this.#meta.name, value: name },
        );
      }
    }

    return new QuerySet(this.model as ModelClass<any>, this.#db, {
      ...this.#state,
      annotations: [...this.#state.annotations, ...entries],
    });
  }

  /** Builds the annotations into `scope`, so filters and orderings can use them. */
  #prepareScope(scope: Scope, grouped: boolean): void {
    scope.grouped = grouped;

    for (const name of this.#state.fromCte?.query.annotationNames() ?? []) {
      scope.annotations.set(name, { node: column(scope.alias, name), aggregate: false });
    }

    for (const [name, item] of this.#state.annotations) {
      const node = item.toNode(scope);

      if (!grouped && node.kind === "aggregate") {
        throw new ValidationError(
          `${this.#caller("annotate")}: "${name}" aggregates over the rows of ${this.#meta.name} itself, which needs a grouping. Use aggregate() for one total, or values(...).annotate() to group.`,
          { model: this.#meta.name, value: name },
        );
      }

      scope.annotations.set(name, { node, aggregate: item.containsAggregate && grouped });
    }
  }

  #where(scope: Scope): WhereNode | undefined {
    return this.#conditions(scope).where;
  }

  /** Splits the filters into WHERE and, for conditions on aggregates, HAVING. */
  #conditions(scope: Scope): { where: WhereNode | undefined; having: WhereNode | undefined } {
    const where: (WhereNode | undefined)[] = [];
    const having: (WhereNode | undefined)[] = [];

    for (const node of this.#state.filters) {
      scope.usedAggregate = false;
      const built = buildWhere(scope, node);
      (scope.usedAggregate ? having : where).push(built);
    }

    scope.usedAggregate = false;

    const hidden = softDeleteCondition(this.model, this.#state.deleted);

    if (hidden) {
      where.push(buildWhere(scope, hidden));
    }

    return {
      where: and([...where, ...this.#state.nodes.map((build) => build(scope))]),
      having: and(having),
    };
  }

  /**
   * Selects the annotation columns of the CTE the query reads from, and
   * makes them usable in filters and orderings by name.
   */
  #cteAnnotations(select: SelectNode, scope: Scope): { name: string; index: number; read: Reader }[] {
    const source = this.#state.fromCte;

    if (!source) {
      return [];
    }

    return source.annotationReaders(scope).map(({ name, read }) => {
      select.columns.push({ expression: scope.annotations.get(name)!.node, alias: name });

      return { name, index: select.columns.length - 1, read };
    });
  }

  /** @internal The reader of a field path or annotation of this query, for Subquery values. */
  columnReader(name: string, outer: Scope, compiler: SqlCompiler): Reader {
    const annotation = this.#state.annotations.find(([key]) => key === name);
    const scope = new Scope(this.#meta, this.#meta.table, outer.aliases, this.#caller("subquery"), outer);

    if (annotation) {
      return annotation[1].reader(scope, compiler);
    }

    try {
      return compiler.fromDriver(resolveColumn(scope, name).field);
    } catch {
      return null;
    }
  }

  /** The reader of an annotation of this query or of the CTE it reads from. */
  #annotationReader(name: string, scope: Scope): Reader {
    const compiler = this.db.dialect.compiler;
    const own = this.#state.annotations.find(([key]) => key === name);

    if (own) {
      return own[1].reader(scope, compiler);
    }

    return this.#state.fromCte?.annotationReaders(scope).find((item) => item.name === name)?.read ?? null;
  }

  /** Adds the annotation columns to a select; returns their names and readers. */
  #selectAnnotations(select: SelectNode, scope: Scope): { name: string; index: number; read: Reader }[] {
    const compiler = this.db.dialect.compiler;

    return this.#state.annotations.map(([name, item]) => {
      select.columns.push({ expression: scope.annotations.get(name)!.node, alias: name });

      return { name, index: select.columns.length - 1, read: item.reader(scope, compiler) };
    });
  }

  #ordering(): readonly OrderItem[] {
    return this.#state.ordering ?? this.#meta.options.ordering ?? [];
  }

  #buildSelect(method: string, ordering: readonly OrderItem[] = this.#ordering()): {
    select: SelectNode;
    plan: HydrationPlan;
  } {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller(method), this.#source);
    const plan = selectModelColumns(select, scope, db.dialect.compiler, this.#state.selectRelated);
    this.#prepareScope(scope, false);
    plan.annotations = [...this.#cteAnnotations(select, scope), ...this.#selectAnnotations(select, scope)];
    select.where = this.#where(scope);
    select.orderBy = buildOrdering(scope, ordering);
    select.joins = scope.joins;
    this.#attachCtes(select, scope);
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

      select.lock = resolveLockTargets(scope, this.#state.lock, this.#state.selectRelated);
    }

    return { select, plan };
  }

  /** Returns the SQL and parameters the query would run, without running it. */
  toSQL(): CompiledQuery {
    return this.db.dialect.compiler.compile(this.#buildSelect("toSQL").select);
  }

  /**
   * Returns the compiled SELECT of a terminal method. Queries without annotations,
   * CTEs, AST conditions or locks go through the shape cache, which skips
   * building and compiling when only the compared values changed.
   */
  #prepare(method: string, ordering: readonly OrderItem[], limit: number | undefined, offset: number | undefined): PreparedSelect {
    const db = this.db;
    const state = this.#state;
    const build = (): PreparedSelect => {
      const { select, plan } = this.#buildSelect(method, ordering);
      select.limit = limit;
      select.offset = offset;

      return { query: db.dialect.compiler.compile(select), plan, bigintColumns: bigintColumnsOf(plan) };
    };

    if (state.annotations.length > 0 || state.ctes.length > 0 || state.fromCte || state.nodes.length > 0 || state.lock) {
      return build();
    }

    const parts = {
      method,
      filters: state.filters,
      ordering,
      selectRelated: state.selectRelated,
      distinct: state.distinct,
      deleted: state.deleted,
      limit,
      offset,
    };

    return cachedSelect(parts, this.#meta, this.#caller(method), db.dialect.compiler, build);
  }

  async #run({ query, plan, bigintColumns }: PreparedSelect): Promise<M[]> {
    const db = this.db;
    const result = await db.execute(query, { rowMode: "array", returnsRows: true, bigintColumns });
    const rows = hydrate(result.rows, plan, db, this.#state.relationMode ?? db.relationLoading) as M[];
    setAnnotations(rows, result.rows as unknown[][], plan);

    for (const path of this.#state.prefetch) {
      await prefetch(db, rows, path);
    }

    return rows;
  }

  /** Runs the query and returns every matching instance. */
  async all(): Promise<M[]> {
    return this.#run(this.#prepare("all", this.#ordering(), this.#state.limit, this.#state.offset));
  }

  /** Returns the first row in the query's order (by primary key if unordered). */
  async first(): Promise<M | null> {
    const ordering = this.#ordering();
    const [row] = await this.#run(this.#prepare("first", ordering.length > 0 ? ordering : [this.#meta.pk.name], 1, this.#state.offset));

    return row ?? null;
  }

  /** Returns the last row in the query's order (by primary key if unordered). */
  async last(): Promise<M | null> {
    const ordering = this.#ordering();
    const reversed = (ordering.length > 0 ? ordering : [this.#meta.pk.name]).map((key) => {
      if (key instanceof OrderTerm) {
        return key.reversed();
      }

      if (isExpression(key)) {
        return key.desc();
      }

      return key.startsWith("-") ? key.slice(1) : `-${key}`;
    });
    const [row] = await this.#run(this.#prepare("last", reversed, 1, this.#state.offset));

    return row ?? null;
  }

  /** Returns the one matching row; raises DoesNotExist or MultipleObjectsReturned. */
  async get(conditions?: Conditions<M, A>): Promise<M> {
    const query = conditions ? this.filter(conditions) : this;
    // Two rows are enough to tell "one" from "several". An exact match on
    // the primary key can return one row at most, so it needs no LIMIT.
    const limit = pinsPrimaryKey(conditions, this.#meta) ? query.#state.limit : 2;
    const rows = await query.#run(query.#prepare("get", [], limit, query.#state.offset));
    const shown = () => describeConditions(conditions);

    if (rows.length === 0) {
      throw new DoesNotExist(`${this.#meta.name} matching ${shown()} does not exist.`, {
        model: this.#meta.name,
      });
    }

    if (rows.length > 1) {
      throw new MultipleObjectsReturned(
        `${this.#meta.name}.objects.get() found more than one row matching ${shown()}. Add conditions that select one row, or use filter().`,
        { model: this.#meta.name },
      );
    }

    return rows[0]!;
  }

  /** Counts matching rows; a distinct or sliced query is counted as a subquery. */
  async count(): Promise<number> {
    const db = this.db;
    const { select, scope } = newSelect(this.#meta, this.#caller("count"), this.#source);
    this.#prepareScope(scope, false);
    select.where = this.#where(scope);
    this.#attachCtes(select, scope);
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
    const { select, scope } = newSelect(this.#meta, this.#caller("exists"), this.#source);
    this.#prepareScope(scope, false);
    select.where = this.#where(scope);
    this.#attachCtes(select, scope);
    select.joins = scope.joins;
    select.columns = [{ expression: { kind: "raw", parts: ["1"], params: [] } }];
    select.limit = 1;
    select.offset = this.#state.offset;
    const result = await db.execute(db.dialect.compiler.compile(select), { rowMode: "array", returnsRows: true });

    return result.rows.length > 0;
  }

  /** The WHERE for a write: direct, or `pk IN (subquery)` when joins are needed. */
  #writeWhere(method: string): WhereNode | undefined {
    if (this.#state.ctes.length > 0 || this.#state.fromCte) {
      throw new ValidationError(
        `${this.#caller(method)}: cannot ${method} through a query with CTEs. Filter with \`pk__in\` on a query that uses the CTE instead.`,
        { model: this.#meta.name },
      );
    }

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
  async update(values: UpdateInput<Fields<M>> | Record<string, unknown>): Promise<number> {
    const meta = this.#meta;
    const entries = Object.entries(values as Record<string, unknown>);

    if (entries.length === 0) {
      throw new ValidationError(`${this.#caller("update")}: no fields to update. Pass at least one field and value.`, {
        model: meta.name,
      });
    }

    const set: { column: string; value: ExpressionNode }[] = [];
    const { scope: valueScope } = newSelect(meta, this.#caller("update"));
    const named = new Set<string>();

    for (const [key, item] of entries) {
      const target = meta.field(key);

      if (!target || !target.hasColumn || target === meta.pk) {
        throw new ValidationError(
          `${this.#caller("update")}: unknown or read-only field "${key}". Updatable fields are ${meta.columnFields.filter((field) => field !== meta.pk).map(attributeName).join(", ")}.`,
          { model: meta.name, field: key },
        );
      }

      if (isExpression(item)) {
        set.push({ column: target.column, value: item.toNode(valueScope) });
        named.add(target.name);
        continue;
      }

      const raw = target instanceof ForeignKeyField && key === target.name && item && typeof item === "object" && STATE in item ? (item as unknown as Model).pk : item;
      set.push({ column: target.column, value: value(validateValue(target, raw), target) });
      named.add(target.name);
    }

    for (const item of meta.columnFields) {
      if (item.options.onUpdate !== undefined && !named.has(item.name)) {
        set.push({ column: item.column, value: value(validateValue(item, item.onUpdateValue()), item) });
      }
    }

    if (valueScope.joins.length > 0) {
      throw new ValidationError(
        `${this.#caller("update")}: an update value reads a related model's field. Update values can read only ${meta.name}'s own columns; use a Subquery for related values.`,
        { model: meta.name },
      );
    }

    const db = this.writeDb;
    const node = { kind: "update" as const, table: meta.table, set, where: this.#writeWhere("update"), returning: [] };
    const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });

    return result.rowCount;
  }

  /**
   * Deletes matching rows and returns how many were deleted. On a
   * SoftDelete model it sets the soft-delete field of the matching rows
   * that are not deleted yet, and returns how many it set.
   */
  async delete(): Promise<number> {
    const name = softDeleteField(this.model);

    if (name !== undefined) {
      return this.filter({ [`${name}__isnull`]: true } as never).update({ [name]: new Date() });
    }

    return this.hardDelete();
  }

  /** Deletes matching rows with DELETE, SoftDelete models included. Runs no hooks. */
  async hardDelete(): Promise<number> {
    const meta = this.#meta;
    const db = this.writeDb;
    const node = { kind: "delete" as const, table: meta.table, where: this.#writeWhere("delete"), returning: [] };
    const result = await db.execute(db.dialect.compiler.compile(node), { rowMode: "array", returnsRows: false });

    return result.rowCount;
  }

  /** Inserts one row with `save()`, so save hooks run, and returns the instance. */
  async create(data: CreateInput<Fields<M>>): Promise<M> {
    const instance = new this.model(data);
    await instance.save({ using: this.writeDb });

    return instance;
  }

  /**
   * Inserts many rows, chunked by the dialect's bound-parameter limit, in
   * one transaction. Returns the instances with their generated keys.
   */
  async bulkCreate(
    items: readonly (CreateInput<Fields<M>> | M)[],
    options: { batchSize?: number; onConflict?: OnConflict<keyof Fields<M> & string> } = {},
  ): Promise<M[]> {
    const instances = items.map((item) =>
      typeof item === "object" && item !== null && STATE in item ? (item as M) : new this.model(item),
    );

    if (options.onConflict) {
      const caller = this.#caller("bulkCreate");
      await upsertInstances(this.writeDb, this.#meta, instances, options.onConflict, { batchSize: options.batchSize, caller });
    } else {
      await insertInstances(this.writeDb, this.#meta, instances, options);
    }

    return instances;
  }

  /**
   * Inserts one row, or updates the `update` fields of the row that has the
   * same `target` values, and returns the stored row as an instance. The
   * rules of `bulkCreate(rows, { onConflict })` apply (see upsert.ts).
   *
   * @example
   * const author = await Author.objects.upsert({ username: "ana", karma: 3 }, { target: ["username"], update: ["karma"] });
   */
  async upsert(data: CreateInput<Fields<M>>, options: OnConflict<keyof Fields<M> & string>): Promise<M> {
    const instance = new this.model(data);
    const db = this.writeDb;
    await db.transaction(async () => {
      await upsertInstances(db, this.#meta, [instance], options, { caller: this.#caller("upsert") });
      await instance.refresh();
    });

    return instance;
  }

  /**
   * Writes the named fields of saved instances with one UPDATE per chunk
   * (CASE on the primary key), in one transaction, and returns how many rows
   * matched. Values are validated first; onUpdate fields are written too.
   */
  async bulkUpdate(
    instances: readonly M[],
    fields: readonly (keyof Fields<M> & string)[],
    options: { batchSize?: number } = {},
  ): Promise<number> {
    return bulkUpdateInstances(this.writeDb, this.#meta, instances, fields, { ...options, caller: this.#caller("bulkUpdate") });
  }

  /**
   * Runs raw SQL and returns instances, matching columns to fields by
   * database column name. Every interpolation is a bound parameter. The
   * primary key column is required; fields without a column stay undefined.
   *
   * @example
   * const top = await Post.objects.raw`select * from posts where views > ${min} order by views desc`;
   */
  async raw(query: SqlFragment | TemplateStringsArray, ...values: unknown[]): Promise<M[]> {
    const caller = this.#caller("raw");

    return (await rawInstances(this.db, this.#meta, toFragment(query, values, caller), caller)) as M[];
  }

  /**
   * Returns the query plan as text: EXPLAIN on PostgreSQL and MySQL, EXPLAIN
   * QUERY PLAN on SQLite. `analyze: true` runs the query and reports actual
   * rows and times (PostgreSQL, MySQL 8.0.18+, MariaDB); SQLite raises
   * NotSupportedError for it.
   */
  async explain(options: { analyze?: boolean } = {}): Promise<string> {
    const db = this.db;

    return explainQuery(db, () => db.dialect.compiler.compile(this.#buildSelect("explain").select), {
      analyze: options.analyze === true,
      locks: this.#state.lock !== undefined,
    });
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
    // Every step runs on the write database, so a replica's lag cannot
    // hide a row that exists.
    const query = this.using(this.writeDb);
    const existing = await query.filter(lookup as Conditions<M, A>).first();

    if (existing) {
      return [existing, false];
    }

    const data = { ...plainValues(lookup as Record<string, unknown>), ...defaults } as CreateInput<Fields<M>>;

    try {
      const created = await query.db.transaction(() => query.create(data));

      return [created, true];
    } catch (error) {
      if (error instanceof UniqueViolation) {
        // Inside a REPEATABLE READ transaction (MySQL's default) a plain
        // read sees the snapshot without the winner's row; a locking read
        // sees the latest committed version.
        const locking = query.db.inTransaction && query.db.dialect.capabilities.selectForUpdate;
        const reread = locking ? query.selectForUpdate() : query;
        const winner = await reread.filter(lookup as Conditions<M, A>).first();

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
    const db = this.writeDb;
    // On MySQL, concurrent callers that hit the unique key hold shared locks
    // and then request the row for update, so InnoDB may pick one as a
    // deadlock victim. An outermost transaction can simply run again.
    const attempts = db.inTransaction ? 1 : UPDATE_OR_CREATE_ATTEMPTS;

    return retry(() => db.transaction(async () => {
      const [instance, created] = await this.getOrCreate(lookup, defaults);

      if (!created) {
        const target = instance as unknown as Record<string, unknown>;

        for (const [key, item] of Object.entries(defaults as Record<string, unknown>)) {
          target[key] = item;
        }

        await instance.save();
      }

      return [instance, created];
    }), { attempts, on: [DeadlockError], backoffMs: 5 });
  }

  /**
   * Builds the SELECT of values(): the named paths and the annotations.
   * When an annotation aggregates, the rows are grouped by the paths.
   */
  #valuesSelect(method: string, paths: readonly string[]) {
    const db = this.db;
    const compiler = db.dialect.compiler;
    const { select, scope } = newSelect(this.#meta, this.#caller(method), this.#source);
    const grouped = this.#state.annotations.some(([, item]) => item.containsAggregate);
    this.#prepareScope(scope, grouped);
    const names = paths.length > 0 || grouped ? [...paths] : this.#meta.columnFields.map(attributeName);
    const readers: Reader[] = names.map((name) => {
      if (scope.annotations.has(name)) {
        const annotated = scope.annotations.get(name)!;
        select.columns.push({ expression: annotated.node, alias: name });

        // A computed value named in values() is a grouping key, like a
        // path; window functions run after grouping and are not keys.
        if (grouped && !annotated.aggregate && annotated.node.kind !== "window") {
          select.groupBy.push(annotated.node);
        }

        return this.#annotationReader(name, scope);
      }

      const resolved = resolveColumn(scope, name);

      if (resolved.rest.length > 0) {
        throw new ValidationError(
          `${this.#caller(method)}: "${name}" is not a field path. Name fields, such as "title" or "author__username".`,
          { model: this.#meta.name, value: name },
        );
      }

      select.columns.push({ expression: resolved.column });

      if (grouped) {
        select.groupBy.push(resolved.column);
      }

      return compiler.fromDriver(resolved.field);
    });

    for (const [name, item] of this.#state.annotations) {
      if (!names.includes(name)) {
        names.push(name);
        select.columns.push({ expression: scope.annotations.get(name)!.node, alias: name });
        readers.push(item.reader(scope, compiler));

        const node = scope.annotations.get(name)!.node;

        if (grouped && !item.containsAggregate && node.kind !== "window") {
          select.groupBy.push(node);
        }
      }
    }

    const { where, having } = this.#conditions(scope);
    select.where = where;
    select.having = having;
    this.#attachCtes(select, scope);
    select.orderBy = buildOrdering(scope, this.#ordering().filter((key) => !grouped || this.#state.ordering !== undefined || key));
    select.joins = scope.joins;
    select.limit = this.#state.limit;
    select.offset = this.#state.offset;
    select.distinct = this.#state.distinct;

    return { select, names, readers };
  }

  /** @internal Runs values() and returns converted rows as arrays. */
  async valuesRows(method: string, paths: readonly string[]): Promise<{ rows: unknown[][]; names: string[] }> {
    const db = this.db;
    const { select, names, readers } = this.#valuesSelect(method, paths);
    const result = await db.execute(db.dialect.compiler.compile(select), { rowMode: "array", returnsRows: true });
    const rows = (result.rows as unknown[][]).map((row) =>
      row.map((raw, index) => readValue(raw, readers[index] ?? null)),
    );

    return { rows, names };
  }

  /**
   * Returns plain objects with the named field paths. The result is a
   * query: await it, or chain annotate() to group by the paths.
   *
   * @example
   * const perAuthor = await Post.objects.values("authorId").annotate({ posts: Count("id") });
   */
  values<const P extends FieldPath<Fields<M>> | (keyof A & string)>(
    ...paths: P[]
  ): ValuesQuerySet<ValuesRow<Fields<M> & AnnotationFields<A>, P>, M, A> {
    return new ValuesQuerySet(this, paths, "object");
  }

  /** Returns tuples of the named field paths. */
  async valuesList<const P extends readonly (FieldPath<Fields<M>> | (keyof A & string))[]>(
    ...paths: P
  ): Promise<ValuesTuple<Fields<M> & AnnotationFields<A>, P>[]> {
    const { rows } = await this.valuesRows("valuesList", paths);

    return rows as ValuesTuple<Fields<M> & AnnotationFields<A>, P>[];
  }

  /** Returns one field's values as a flat array. */
  async flatValues<const P extends FieldPath<Fields<M>> | (keyof A & string)>(
    path: P,
  ): Promise<ValuesTuple<Fields<M> & AnnotationFields<A>, [P]>[0][]> {
    const { rows } = await this.valuesRows("flatValues", [path]);

    return rows.map((row) => row[0]) as ValuesTuple<Fields<M> & AnnotationFields<A>, [P]>[0][];
  }

  /**
   * Computes aggregates over all matching rows and returns one object.
   *
   * @example
   * const { total, posts } = await Post.objects.aggregate({ total: Sum("views"), posts: Count() });
   */
  async aggregate<const N extends Record<string, Expression>>(aggregates: N): Promise<AnnotationValues<N>> {
    const db = this.db;
    const compiler = db.dialect.compiler;
    const { select, scope } = newSelect(this.#meta, this.#caller("aggregate"), this.#source);
    this.#prepareScope(scope, false);
    scope.grouped = true;
    const entries = Object.entries(aggregates);
    const readers = entries.map(([name, item]) => {
      if (!isExpression(item)) {
        throw new ValidationError(`${this.#caller("aggregate")}: "${name}" is not an expression such as Count() or Sum().`, {
          model: this.#meta.name,
          value: name,
        });
      }

      select.columns.push({ expression: item.toNode(scope), alias: name });

      return item.reader(scope, compiler);
    });
    scope.grouped = false;
    const inner = this.#where(scope);

    if (this.#state.limit !== undefined || this.#state.offset !== undefined || this.#state.distinct) {
      throw new ValidationError(
        `${this.#caller("aggregate")}: aggregate() over a sliced or distinct query is not supported. Filter instead, or aggregate in JS.`,
        { model: this.#meta.name },
      );
    }

    select.where = inner;
    select.joins = scope.joins;
    this.#attachCtes(select, scope);
    const result = await db.execute(compiler.compile(select), { rowMode: "array", returnsRows: true });
    const row = (result.rows[0] ?? []) as unknown[];

    return Object.fromEntries(
      entries.map(([name], index) => {
        const raw = row[index];
        return [name, readValue(raw, readers[index] ?? null)];
      }),
    ) as AnnotationValues<N>;
  }

  /** @internal Builds this query as a subquery of `outer` selecting `column`. */
  subquerySelect(outer: Scope, column: string | undefined, valuesPaths?: readonly string[]): SelectNode {
    const meta = this.#meta;
    meta.resolve();
    const alias = outer.aliases.next("q");
    const scope = new Scope(meta, alias, outer.aliases, this.#caller("subquery"), outer);
    const select = emptySelect(meta.table, alias);
    const grouped = this.#state.annotations.some(([, item]) => item.containsAggregate);
    this.#prepareScope(scope, grouped);
    const names = column !== undefined ? [column] : (valuesPaths ?? []);

    for (const name of names) {
      const annotated = scope.annotations.get(name);

      if (annotated) {
        select.columns.push({ expression: annotated.node });
        continue;
      }

      const resolved = resolveColumn(scope, name);
      select.columns.push({ expression: resolved.column });

      if (grouped) {
        select.groupBy.push(resolved.column);
      }
    }

    if (select.columns.length === 0) {
      select.columns.push({ expression: { kind: "raw", parts: ["1"], params: [] } });
    }

    const { where, having } = this.#conditions(scope);
    select.where = where;
    select.having = having;
    select.joins = scope.joins;
    select.orderBy = this.#state.ordering ? buildOrdering(scope, this.#state.ordering) : [];
    select.limit = this.#state.limit;
    select.offset = this.#state.offset;
    select.distinct = this.#state.distinct;

    return select;
  }

  /**
   * Streams the results with bounded memory: rows come from a driver
   * cursor `batchSize` at a time (default 1000), and prefetches run per
   * batch. `for await (const row of qs)` is the same as `qs.iterate()`.
   */
  iterate(options: { batchSize?: number } = {}): AsyncIterable<M> {
    const batchSize = options.batchSize === undefined ? STREAM_BATCH_SIZE : checkCount(this.#caller("iterate"), "batchSize", options.batchSize);

    if (batchSize === 0) {
      throw new ValidationError(`${this.#caller("iterate")}: invalid batchSize 0. Pass a whole number of 1 or more.`, {
        model: this.#meta.name,
        value: 0,
      });
    }

    return { [Symbol.asyncIterator]: () => rowsOf(this.#batches(batchSize)) };
  }

  [Symbol.asyncIterator](): AsyncIterator<M> {
    return rowsOf(this.#batches(STREAM_BATCH_SIZE));
  }

  /** Yields the streamed rows in hydrated batches, with their prefetches done. */
  async *#batches(batchSize: number): AsyncGenerator<M[]> {
    const db = this.db;
    const { query, plan, bigintColumns } = this.#prepare("iterate", this.#ordering(), this.#state.limit, this.#state.offset);
    const mode = this.#state.relationMode ?? db.relationLoading;

    for await (const chunk of db.stream(query, { rowMode: "array", returnsRows: true, batchSize, bigintColumns })) {
      const rows = hydrate(chunk, plan, db, mode) as M[];
      setAnnotations(rows, chunk, plan);

      for (const path of this.#state.prefetch) {
        await prefetch(db, rows, path);
      }

      yield rows;
    }
  }
}

/**
 * Iterates the rows of a stream of batches. Rows already in hand come
 * back without a generator step, which an async generator would take
 * for every row.
 */
function rowsOf<M>(batches: AsyncGenerator<M[]>): AsyncIterator<M> {
  let current: M[] = [];
  let index = 0;

  const nextBatch = async (): Promise<IteratorResult<M>> => {
    for (;;) {
      const step = await batches.next();

      if (step.done) {
        current = [];
        index = 0;

        return { done: true, value: undefined };
      }

      if (step.value.length > 0) {
        current = step.value;
        index = 1;

        return { done: false, value: current[0]! };
      }
    }
  };

  return {
    next(): Promise<IteratorResult<M>> {
      if (index < current.length) {
        const value = current[index]!;
        index += 1;

        return Promise.resolve({ done: false, value });
      }

      return nextBatch();
    },
    async return(): Promise<IteratorResult<M>> {
      current = [];
      index = 0;
      await batches.return(undefined);

      return { done: true, value: undefined };
    },
  };
}

/** Returns the positions of the 64-bit integer columns in a plan's rows. */
function bigintColumnsOf(plan: HydrationPlan): number[] {
  return plan.parts.flatMap((part) => part.reader.bigintColumns.map((index) => part.start + index));
}

/** True when `conditions` is a plain object with an exact match on the primary key. */
function pinsPrimaryKey(conditions: unknown, meta: ModelMeta): boolean {
  if (typeof conditions !== "object" || conditions === null || conditions instanceof Q) {
    return false;
  }

  const record = conditions as Record<string, unknown>;
  const key = record[meta.pk.name] ?? record[`${meta.pk.name}__exact`];

  return key !== undefined && key !== null && typeof key !== "object";
}

/** Converts one value read from the driver; SQL NULL becomes null. */
function readValue(raw: unknown, read: Reader): unknown {
  if (raw === null || raw === undefined) {
    return null;
  }

  return read ? read(raw) : raw;
}

/** Describes get()'s conditions for an error message. */
function describeConditions(conditions: unknown): string {
  if (!conditions) {
    return "the query";
  }

  return describeValue(conditions instanceof Q ? conditions.node : conditions);
}

/** Sets annotation values on hydrated instances from their rows. */
function setAnnotations(rows: Model[], raw: unknown[][], plan: HydrationPlan): void {
  const annotations = plan.annotations ?? [];

  if (annotations.length === 0) {
    return;
  }

  rows.forEach((instance, index) => {
    const row = raw[index]!;
    const target = instance as unknown as Record<string, unknown>;

    for (const { name, index: column, read } of annotations) {
      target[name] = readValue(row[column], read);
    }
  });
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

/** Builds a correlated subquery for an aggregate across a multi-valued relation. */
function relatedAggregate(scope: Scope, aggregate: Aggregate): ExpressionNode | undefined {
  const path = aggregate.item;

  if (typeof path !== "string" || path === "*") {
    return undefined;
  }

  const split = splitAtManyRelation(scope, path);

  if (!split) {
    return undefined;
  }

  const { select, sub, correlation } = correlatedSelect(scope, split.fromAlias, split.fromMeta, split.relation);
  const prefix = split.rest === "" ? path : path.slice(0, path.length - split.rest.length - 2);
  let conditions: Record<string, unknown> | undefined;

  if (aggregate.options.filter) {
    conditions = {};

    for (const [key, item] of Object.entries(aggregate.options.filter as Record<string, unknown>)) {
      if (!key.startsWith(`${prefix}__`)) {
        throw new ValidationError(
          `${scope.caller}: the filter key "${key}" of ${aggregate.fn}("${path}") must start with "${prefix}__", because the aggregate runs over ${prefix}.`,
          { model: scope.meta.name, value: key },
        );
      }

      conditions[key.slice(prefix.length + 2)] = item;
    }
  }

  let column: ExpressionNode;

  if (split.rest !== "" && splitAtManyRelation(sub, split.rest)) {
    // A second multi-valued step (authors -> posts -> comments): aggregate
    // per related row in a nested subquery, then combine those here.
    sub.grouped = true;
    column = relatedAggregate(sub, new Aggregate(aggregate.fn, split.rest, { distinct: aggregate.options.distinct, filter: conditions }))!;
  } else {
    let arg: ExpressionNode | "*" = "*";

    if (split.rest !== "") {
      arg = resolveColumn(sub, split.rest).column;
    } else if (aggregate.fn !== "count") {
      throw new ValidationError(
        `${scope.caller}: ${aggregate.fn}("${path}") needs a field of the related model, such as "${path}__id".`,
        { model: scope.meta.name, value: path },
      );
    }

    column = { kind: "aggregate", fn: aggregate.fn, arg, distinct: aggregate.options.distinct === true };

    if (conditions) {
      select.where = buildWhere(sub, { kind: "leaf", conditions });
    }
  }

  select.columns = [{ expression: column }];
  select.where = and([correlation, select.where]);
  select.joins = sub.joins;
  const node: ExpressionNode = { kind: "subquery", query: select };

  if (!scope.grouped) {
    return node;
  }

  // Grouped rows combine the per-row results, which never double-counts.
  if (aggregate.fn === "avg" || aggregate.options.distinct) {
    throw new ValidationError(
      `${scope.caller}: ${aggregate.fn}${aggregate.options.distinct ? " with distinct" : ""} over the related rows "${path}" cannot be combined across a group. Annotate per row instead, or compute it from Sum and Count.`,
      { model: scope.meta.name, value: path },
    );
  }

  const combined: ExpressionNode = { kind: "aggregate", fn: aggregate.fn === "count" ? "sum" : aggregate.fn, arg: node, distinct: false };

  return aggregate.fn === "count" ? { kind: "func", name: "coalesce", args: [combined, { kind: "raw", parts: ["0"], params: [] }] } : combined;
}

function subqueryOf(scope: Scope, query: unknown, column: string | undefined): SelectNode {
  if (query instanceof ValuesQuerySet) {
    return query.query.subquerySelect(scope, column, query.paths);
  }

  if (query instanceof QuerySet) {
    return query.subquerySelect(scope, column);
  }

  throw new ValidationError(
    `Subquery and Exists take a QuerySet or values(...), got ${describeValue(query)}.`,
    { value: query },
  );
}

setExpressionContext({
  resolveColumn(scope, path) {
    const annotated = scope.annotations.get(path);

    if (annotated) {
      return { node: annotated.node, field: undefined };
    }

    const resolved = resolveColumn(scope, path);

    if (resolved.rest.length > 0) {
      throw new ValidationError(
        `${scope.caller}: "${path}" is not a field path; lookups are not allowed here.`,
        { model: scope.meta.name, value: path },
      );
    }

    return { node: resolved.column, field: resolved.field };
  },
  buildCondition(scope, condition) {
    return buildWhere(scope, toNode(condition));
  },
  buildOrdering(scope, keys) {
    return buildOrdering(scope, keys);
  },
  relatedAggregate,
  subquery: subqueryOf,
  subqueryReader(scope, query, column, compiler) {
    const values = query instanceof ValuesQuerySet ? query : undefined;
    let inner: QuerySet<Model, object> | undefined;

    if (values) {
      inner = values.query;
    } else if (query instanceof QuerySet) {
      inner = query;
    }

    const name = column ?? values?.paths[0] ?? inner?.model.$meta.pk.name;

    if (!inner || name === undefined) {
      return null;
    }

    return inner.columnReader(name, scope, compiler);
  },
  isQuerySource(item) {
    return item instanceof QuerySet || item instanceof ValuesQuerySet || item instanceof CteColumn;
  },
  inSubquery(scope, item) {
    if (item instanceof CteColumn) {
      return item.cte.valuesSelect(scope, item.name);
    }

    if (item instanceof QuerySet) {
      return item.subquerySelect(scope, item.model.$meta.pk.name);
    }

    const values = item as ValuesQuerySet<unknown, Model, object>;

    if (values.paths.length !== 1) {
      throw new ValidationError(
        `A values() query used with __in must select exactly one path, got ${values.paths.length}.`,
        { value: values.paths },
      );
    }

    return values.query.subquerySelect(scope, undefined, values.paths);
  },
});

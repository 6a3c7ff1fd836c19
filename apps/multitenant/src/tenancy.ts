/**
 * Tenant isolation in one shared schema. The tenant is a store id, carried
 * in the request context (`withContext({ tenant })`), and every row of a
 * tenant-scoped model has a `store` foreign key.
 *
 * What enforces it:
 * - `Model.forTenant()` returns a TenantQuery whose root QuerySet is
 *   filtered by `store = tenant`. A QuerySet only ever narrows, so later
 *   filters cannot widen it.
 * - A filter key that crosses a relation into another tenant-scoped model
 *   (`customer__lastName`, `rentals__returnDate__isnull`) is rewritten into
 *   an IN subquery over that model's tenant rows, built the same way, so a
 *   condition never matches another tenant's related row. Keys with the same
 *   relation prefix in one object match the same related row.
 * - Aggregates over a reverse relation (`Sum("payments__amount")`) get a
 *   `store = tenant` filter. selectRelated() of a tenant-scoped relation
 *   keeps only rows whose related row is the tenant's. orderBy, values and
 *   prefetchRelated paths into another tenant-scoped model, and annotation
 *   expressions other than aggregates, F() and values, raise
 *   TenantIsolationError.
 * - Writes: a beforeSave hook sets `store` on new rows and rejects rows of
 *   another store, updates of rows that are not the tenant's, and foreign
 *   keys to another tenant's rows. bulkCreate, bulkUpdate and update run the
 *   same checks here, because core runs no hooks for bulk writes.
 * - Raw SQL goes through `tenantSql`, which rejects a query that does not
 *   bind the tenant.
 *
 * The unscoped managers (`Customer.unscoped`) bypass all of this and are
 * meant for the import and for administration only.
 */
import {
  Aggregate,
  ChakraError,
  FieldRef,
  ForeignKeyField,
  Q,
  QuerySet,
  ValueExpression,
  attributeName,
  currentContext,
  describeValue,
  hooks,
  sql,
  type Conditions,
  type CreateInput,
  type Database,
  type Expression,
  type FieldsOf,
  type Model,
  type ModelClass,
  type ModelMeta,
  type SqlFragment,
} from "@chakra-orm/core";

/** A condition tree, as `Q` stores it. */
type QNode = Q["node"];

/** The foreign key every tenant-scoped model has; its id attribute is `storeId`. */
export const TENANT_FIELD = "store";
const TENANT_ID = "storeId";

const TENANT_SCOPED = Symbol.for("chakra-orm.multitenant.tenant-scoped");

/** Raised when code needs the tenant and the request context has none (HTTP 400). */
export class MissingTenantError extends ChakraError {}

/** Raised when a query or a write would touch another tenant's rows (HTTP 403). */
export class TenantIsolationError extends ChakraError {}

/** Marks a model class (and its subclasses) as tenant-scoped. */
export function markTenantScoped(cls: object): void {
  Object.defineProperty(cls, TENANT_SCOPED, { value: true });
}

export function isTenantScoped(model: unknown): boolean {
  return (model as Record<symbol, unknown> | undefined)?.[TENANT_SCOPED] === true;
}

function isTenantMeta(meta: ModelMeta): boolean {
  return isTenantScoped(meta.cls);
}

/** Returns the current tenant (a store id); raises MissingTenantError outside a tenant context. */
export function currentTenant(): number {
  const tenant = currentContext().tenant;

  if (typeof tenant !== "number" || !Number.isSafeInteger(tenant) || tenant <= 0) {
    throw new MissingTenantError(
      `No tenant in the request context (got ${describeValue(tenant)}). Run the code inside withContext({ tenant: storeId }).`,
    );
  }

  return tenant;
}

interface RelationStep {
  kind: "forward" | "reverse";
  target: ModelMeta;
  /** The foreign key: on the current model (forward) or on the target (reverse). */
  key: ForeignKeyField;
}

function relationStep(meta: ModelMeta, name: string): RelationStep | undefined {
  meta.resolve();
  const own = meta.fieldsByName.get(name);

  if (own instanceof ForeignKeyField) {
    return { kind: "forward", target: own.targetModel.$meta, key: own };
  }

  const reverse = meta.reverse.get(name);

  if (reverse) {
    if (!(reverse.forward instanceof ForeignKeyField)) {
      throw new TenantIsolationError(`${meta.name}.${name}: many-to-many relations are not supported by tenant queries.`);
    }

    return { kind: "reverse", target: reverse.source, key: reverse.forward };
  }

  return undefined;
}

function namesField(meta: ModelMeta, name: string | undefined): boolean {
  return name !== undefined && (meta.field(name) !== undefined || meta.reverse.has(name));
}

/** The first step of a lookup path that enters a tenant-scoped model. */
interface TenantHop extends RelationStep {
  /** Path segments up to and including the hop. */
  prefix: string[];
  /** Path segments after the hop, relative to the target. */
  rest: string[];
  /** The model the hop starts from. */
  owner: ModelMeta;
}

function findTenantHop(meta: ModelMeta, segments: readonly string[]): TenantHop | undefined {
  let current = meta;

  for (let index = 0; index < segments.length; index += 1) {
    const step = relationStep(current, segments[index]!);

    if (!step) {
      return undefined;
    }

    const next = segments[index + 1];

    // `customer`, `customer__in` and `customer__isnull` compare the key column itself.
    if (step.kind === "forward" && !namesField(step.target, next)) {
      return undefined;
    }

    if (isTenantMeta(step.target)) {
      return { ...step, prefix: segments.slice(0, index + 1), rest: segments.slice(index + 1), owner: current };
    }

    current = step.target;
  }

  return undefined;
}

function rootQuery<M extends Model>(meta: ModelMeta, tenant: number, db: Database | undefined): QuerySet<M> {
  const query = new QuerySet<M>(meta.cls as ModelClass<M>, db);

  return isTenantMeta(meta) ? query.filter({ [TENANT_FIELD]: tenant } as never) : query;
}

/** Rewrites one object of conditions so that relation hops into tenant-scoped models stay in the tenant. */
function scopeLeaf(meta: ModelMeta, tenant: number, db: Database | undefined, conditions: Record<string, unknown>): Q {
  const plain: Record<string, unknown> = {};
  const groups = new Map<string, { hop: TenantHop; rest: Record<string, unknown> }>();

  for (const [key, item] of Object.entries(conditions)) {
    const hop = findTenantHop(meta, key.split("__"));

    if (!hop) {
      plain[key] = item;
      continue;
    }

    const prefix = hop.prefix.join("__");
    const group = groups.get(prefix) ?? { hop, rest: {} };
    group.rest[hop.rest.join("__")] = item;
    groups.set(prefix, group);
  }

  const parts: Q[] = [Q.of(plain)];

  for (const [prefix, { hop, rest }] of groups) {
    const fieldConditions: Record<string, unknown> = {};
    let isnull: boolean | undefined;

    for (const [key, item] of Object.entries(rest)) {
      if (namesField(hop.target, key.split("__")[0])) {
        fieldConditions[key] = item;
      } else if (hop.kind === "reverse" && key === "isnull" && typeof item === "boolean") {
        isnull = item;
      } else {
        throw new TenantIsolationError(
          `${meta.name}: the lookup "${prefix}__${key}" is not supported across the tenant-scoped relation "${prefix}". Name a field of ${hop.target.name}, or use "${prefix}__isnull".`,
          { model: meta.name },
        );
      }
    }

    const related = scopeQuery(rootQuery(hop.target, tenant, db), hop.target, tenant, db, Q.of(fieldConditions));

    if (hop.kind === "forward") {
      parts.push(Q.of({ [`${prefix}__in`]: related }));
      continue;
    }

    // A reverse hop: the owner's primary key must be among the keys of the tenant's related rows.
    const ownerKey = [...hop.prefix.slice(0, -1), hop.owner.pk.name, "in"].join("__");
    const keys = related.values(hop.key.name as never);

    parts.push(isnull === true ? Q.not({ [ownerKey]: keys } as never) : Q.of({ [ownerKey]: keys }));
  }

  return parts.length === 1 ? parts[0]! : Q.and(...parts);
}

function scopeNode(meta: ModelMeta, tenant: number, db: Database | undefined, node: QNode): Q {
  switch (node.kind) {
    case "leaf":
      return scopeLeaf(meta, tenant, db, node.conditions);
    case "and":
      return Q.and(...node.children.map((child: QNode) => scopeNode(meta, tenant, db, child)));
    case "or":
      return Q.or(...node.children.map((child: QNode) => scopeNode(meta, tenant, db, child)));
    case "not":
      return Q.not(scopeNode(meta, tenant, db, node.child));
  }
}

function scopeQuery<M extends Model>(
  query: QuerySet<M>,
  meta: ModelMeta,
  tenant: number,
  db: Database | undefined,
  conditions: unknown,
): QuerySet<M> {
  const node: QNode = conditions instanceof Q ? conditions.node : { kind: "leaf", conditions: { ...(conditions as object) } };

  return query.filter(scopeNode(meta, tenant, db, node) as never);
}

function rejectHop(meta: ModelMeta, method: string, path: string): void {
  const hop = findTenantHop(meta, path.split("__"));

  if (hop) {
    throw new TenantIsolationError(
      `${meta.name} ${method}: the path "${path}" reads ${hop.target.name} rows through "${hop.prefix.join("__")}", which may belong to another store. Query ${hop.target.name}.forTenant() instead.`,
      { model: meta.name },
    );
  }
}

/** Checks an annotation or aggregate expression; returns it with a tenant filter where it needs one. */
function scopeExpression(meta: ModelMeta, tenant: number, name: string, item: Expression): Expression {
  if (item instanceof ValueExpression) {
    return item;
  }

  if (item instanceof FieldRef) {
    rejectHop(meta, `F("${item.path}")`, item.path);

    return item;
  }

  if (!(item instanceof Aggregate)) {
    throw new TenantIsolationError(
      `${meta.name}: the expression "${name}" cannot be checked for tenant isolation. Tenant queries take aggregates, F() and values; run other SQL through tenantSql.`,
      { model: meta.name },
    );
  }

  const filter = (item.options.filter ?? {}) as Record<string, unknown>;

  if (typeof item.item !== "string") {
    scopeExpression(meta, tenant, name, item.item);
    Object.keys(filter).forEach((key) => rejectHop(meta, `${item.fn}() filter`, key));

    return item;
  }

  const hop = item.item === "*" ? undefined : findTenantHop(meta, item.item.split("__"));

  if (!hop) {
    Object.keys(filter).forEach((key) => rejectHop(meta, `${item.fn}() filter`, key));

    return item;
  }

  const prefix = hop.prefix.join("__");

  if (hop.kind !== "reverse" || hop.prefix.length !== 1) {
    throw new TenantIsolationError(
      `${meta.name}: ${item.fn}("${item.item}") reads ${hop.target.name} rows through "${prefix}", which may belong to another store. Aggregate over a reverse relation of ${meta.name}, or query ${hop.target.name}.forTenant().`,
      { model: meta.name },
    );
  }

  rejectHop(hop.target, `${item.fn}("${item.item}")`, hop.rest.join("__"));

  for (const key of Object.keys(filter)) {
    if (!key.startsWith(`${prefix}__`)) {
      throw new TenantIsolationError(`${meta.name}: the filter key "${key}" of ${item.fn}("${item.item}") must start with "${prefix}__".`);
    }

    rejectHop(hop.target, `${item.fn}() filter`, key.slice(prefix.length + 2));
  }

  return new Aggregate(item.fn, item.item, { ...item.options, filter: { ...filter, [`${prefix}__${TENANT_FIELD}`]: tenant } });
}

function attributes(instance: Model): Record<string, unknown> {
  return instance as unknown as Record<string, unknown>;
}

/**
 * Checks rows before they are written for `tenant`: sets a missing store,
 * rejects another store, and with `existing` also checks that the stored
 * rows are the tenant's. Foreign keys among `fields` (all when undefined)
 * that point at tenant-scoped models must name the tenant's rows.
 */
export async function checkTenantRows(
  model: ModelClass,
  instances: readonly Model[],
  options: { tenant: number; existing: boolean; fields?: readonly string[]; db?: Database },
): Promise<void> {
  const { tenant, db } = options;
  const meta = model.$meta;

  for (const instance of instances) {
    const values = attributes(instance);
    const store = values[TENANT_ID];

    if (store === null || store === undefined) {
      values[TENANT_ID] = tenant;
    } else if (store !== tenant) {
      throw new TenantIsolationError(
        `${meta.name} ${describeValue(instance.pk ?? "(new)")} names store ${describeValue(store)}, but the request acts for store ${tenant}. Leave ${TENANT_ID} out; it is set from the request.`,
        { model: meta.name, field: TENANT_ID },
      );
    }
  }

  if (options.existing) {
    const keys = [...new Set(instances.map((instance) => instance.pk))];
    const pk = meta.pk.name;
    const own = new Set(await new QuerySet(model, db).filter({ [`${pk}__in`]: keys, [TENANT_FIELD]: tenant } as never).flatValues(pk as never));
    const foreign = keys.filter((key) => !own.has(key as never));

    if (foreign.length > 0) {
      throw new TenantIsolationError(`${meta.name} ${foreign.join(", ")}: not found for store ${tenant}, so it cannot be updated.`, {
        model: meta.name,
      });
    }
  }

  const written = options.fields === undefined ? undefined : new Set(options.fields);

  for (const key of meta.fields) {
    if (!(key instanceof ForeignKeyField) || key.name === TENANT_FIELD || !isTenantScoped(key.targetModel)) {
      continue;
    }

    if (written && !written.has(key.name) && !written.has(attributeName(key))) {
      continue;
    }

    const ids = [...new Set(instances.map((instance) => attributes(instance)[attributeName(key)]).filter((id) => id !== null && id !== undefined))];

    if (ids.length === 0) {
      continue;
    }

    const target = key.targetModel;
    const pk = target.$meta.pk.name;
    const own = new Set(await new QuerySet(target, db).filter({ [`${pk}__in`]: ids, [TENANT_FIELD]: tenant } as never).flatValues(pk as never));
    const foreign = ids.filter((id) => !own.has(id as never));

    if (foreign.length > 0) {
      throw new TenantIsolationError(
        `${meta.name}.${attributeName(key)}: ${target.$meta.name} ${foreign.map((id) => describeValue(id)).join(", ")} not found for store ${tenant}.`,
        { model: meta.name, field: attributeName(key) },
      );
    }
  }
}

// Every save of a tenant-scoped row, through any manager, needs a tenant
// and passes the checks. Bulk writes run no hooks; TenantQuery checks them.
hooks.on("beforeSave", async (instance, event) => {
  const model = instance.constructor as ModelClass;

  if (!isTenantScoped(model)) {
    return;
  }

  await checkTenantRows(model, [instance], {
    tenant: currentTenant(),
    existing: !event.created,
    fields: event.fields,
    db: event.db,
  });
});

type Fields<M> = FieldsOf<M>;

/** A page of results and the totals a listing needs. */
export interface ResultPage<M> {
  items: M[];
  page: number;
  pageSize: number;
  totalCount: number;
  pageCount: number;
}

/**
 * A query over one model for the current tenant. It mirrors the QuerySet
 * methods the app needs, checks each path and write for isolation, and
 * never hands out its QuerySet, whose bulk writes skip those checks.
 */
export class TenantQuery<M extends Model> {
  readonly #query: QuerySet<M>;
  readonly #meta: ModelMeta;
  readonly #tenant: number;
  readonly #db: Database | undefined;

  private constructor(meta: ModelMeta, tenant: number, db: Database | undefined, query: QuerySet<M>) {
    this.#meta = meta;
    this.#tenant = tenant;
    this.#db = db;
    this.#query = query;
  }

  /** The current tenant's rows of a tenant-scoped model. */
  static forModel<M extends Model>(model: ModelClass<M>, db?: Database): TenantQuery<M> {
    const meta = model.$meta;

    if (!isTenantScoped(model)) {
      throw new TenantIsolationError(`${meta.name} is not tenant-scoped. Use TenantQuery.shared(${meta.name}) for shared data.`);
    }

    const tenant = currentTenant();

    return new TenantQuery(meta, tenant, db, rootQuery<M>(meta, tenant, db));
  }

  /**
   * All rows of a shared model (such as films), with the same checks on
   * paths into tenant-scoped models: `Film` filtered or annotated by
   * `copies` matches and counts only the tenant's copies.
   */
  static shared<M extends Model>(model: ModelClass<M>, db?: Database): TenantQuery<M> {
    if (isTenantScoped(model)) {
      throw new TenantIsolationError(`${model.$meta.name} is tenant-scoped. Use ${model.$meta.name}.forTenant().`);
    }

    return new TenantQuery(model.$meta, currentTenant(), db, new QuerySet<M>(model, db));
  }

  get tenant(): number {
    return this.#tenant;
  }

  #next(query: QuerySet<M>): TenantQuery<M> {
    return new TenantQuery(this.#meta, this.#tenant, this.#db, query);
  }

  #writable(method: string): void {
    if (!isTenantMeta(this.#meta)) {
      throw new TenantIsolationError(`${this.#meta.name} is shared reference data; TenantQuery.${method}() does not write it.`);
    }
  }

  filter(conditions: Conditions<M, Record<never, never>>): TenantQuery<M> {
    return this.#next(scopeQuery(this.#query, this.#meta, this.#tenant, this.#db, conditions));
  }

  exclude(conditions: Conditions<M, Record<never, never>>): TenantQuery<M> {
    const node: QNode = conditions instanceof Q ? conditions.node : { kind: "leaf", conditions: { ...(conditions as object) } };

    return this.#next(this.#query.filter(Q.not(scopeNode(this.#meta, this.#tenant, this.#db, node)) as never));
  }

  orderBy(...keys: string[]): TenantQuery<M> {
    keys.forEach((key) => rejectHop(this.#meta, "orderBy()", key.replace(/^-/, "")));

    return this.#next(this.#query.orderBy(...(keys as never[])));
  }

  limit(count: number): TenantQuery<M> {
    return this.#next(this.#query.limit(count));
  }

  offset(count: number): TenantQuery<M> {
    return this.#next(this.#query.offset(count));
  }

  /**
   * Loads foreign keys with joins. For each tenant-scoped model on a path,
   * only rows whose related row is the tenant's (or NULL) are kept.
   */
  selectRelated(...paths: string[]): TenantQuery<M> {
    let query = this.#query;

    for (const path of paths) {
      const segments = path.split("__");
      let current = this.#meta;

      for (let index = 0; index < segments.length; index += 1) {
        const step = relationStep(current, segments[index]!);

        if (!step || step.kind !== "forward") {
          throw new TenantIsolationError(`${this.#meta.name} selectRelated(): "${path}" is not a path of foreign keys.`);
        }

        if (isTenantMeta(step.target)) {
          const prefix = segments.slice(0, index + 1).join("__");
          const own = rootQuery(step.target, this.#tenant, this.#db);
          const condition = step.key.nullable ? Q.or({ [prefix]: null } as never, { [`${prefix}__in`]: own } as never) : Q.of({ [`${prefix}__in`]: own });
          query = query.filter(condition as never);
        }

        current = step.target;
      }
    }

    return this.#next(query.selectRelated(...(paths as never[])));
  }

  /** Loads reverse relations with extra queries; paths into tenant-scoped models are rejected. */
  prefetchRelated(...paths: string[]): TenantQuery<M> {
    paths.forEach((path) => rejectHop(this.#meta, "prefetchRelated()", `${path}__id`));

    return this.#next(this.#query.prefetchRelated(...(paths as never[])));
  }

  /**
   * Adds aggregates and other computed attributes. An aggregate over a
   * reverse relation into a tenant-scoped model counts only the tenant's rows.
   */
  annotate<const N extends Record<string, Expression>>(annotations: N): TenantQuery<M & { [K in keyof N]: N[K] extends Expression<infer T> ? T : never }> {
    const scoped = Object.fromEntries(
      Object.entries(annotations).map(([name, item]) => [name, scopeExpression(this.#meta, this.#tenant, name, item)]),
    );

    return this.#next(this.#query.annotate(scoped) as never) as never;
  }

  all(): Promise<M[]> {
    return this.#query.all();
  }

  first(): Promise<M | null> {
    return this.#query.first();
  }

  /** Returns the one matching row; raises DoesNotExist (also for another tenant's row). */
  get(conditions?: Conditions<M, Record<never, never>>): Promise<M> {
    return (conditions === undefined ? this : this.filter(conditions)).#query.get();
  }

  count(): Promise<number> {
    return this.#query.count();
  }

  exists(): Promise<boolean> {
    return this.#query.exists();
  }

  async aggregate<const N extends Record<string, Expression>>(
    aggregates: N,
  ): Promise<{ [K in keyof N]: N[K] extends Expression<infer T> ? T : never }> {
    const scoped = Object.fromEntries(
      Object.entries(aggregates).map(([name, item]) => [name, scopeExpression(this.#meta, this.#tenant, name, item)]),
    );

    return (await this.#query.aggregate(scoped)) as never;
  }

  /** Returns one field's values; paths into other tenant-scoped models are rejected. */
  async flatValues(path: string): Promise<unknown[]> {
    rejectHop(this.#meta, "flatValues()", path);

    return this.#query.flatValues(path as never);
  }

  /** Returns one page; `page` counts from 1. A page past the end has no items. */
  async page(page: number, pageSize: number): Promise<ResultPage<M>> {
    const totalCount = await this.count();
    const items = await this.offset((page - 1) * pageSize).limit(pageSize).all();

    return { items, page, pageSize, totalCount, pageCount: Math.max(1, Math.ceil(totalCount / pageSize)) };
  }

  /** Inserts a row for the tenant; the beforeSave hook sets and checks `store`. */
  create(data: CreateInput<Fields<M>>): Promise<M> {
    this.#writable("create");

    return this.#query.create(data);
  }

  /**
   * Inserts many rows for the tenant after the same checks as `save()`:
   * a row naming another store, or a foreign key to another tenant's row,
   * rejects the whole call before any row is written.
   */
  async bulkCreate(items: readonly CreateInput<Fields<M>>[]): Promise<M[]> {
    this.#writable("bulkCreate");
    const model = this.#meta.cls as ModelClass<M>;
    const instances = items.map((item) => new model(item as never));
    await checkTenantRows(model, instances, { tenant: this.#tenant, existing: false, db: this.#db });

    return this.#query.bulkCreate(instances);
  }

  /**
   * Writes `fields` of saved instances. Every instance must be a row of the
   * tenant, `store` cannot be among the fields, and foreign keys among them
   * must point at the tenant's rows. The check and the write share one
   * transaction.
   */
  async bulkUpdate(instances: readonly M[], fields: readonly (keyof Fields<M> & string)[]): Promise<number> {
    this.#writable("bulkUpdate");
    this.#rejectTenantField("bulkUpdate", fields);
    const model = this.#meta.cls as ModelClass<M>;

    return this.#query.writeDb.transaction(async () => {
      await checkTenantRows(model, instances, { tenant: this.#tenant, existing: true, fields, db: this.#db });

      return this.#query.bulkUpdate(instances, fields);
    });
  }

  /** Updates the tenant's matching rows; `store` cannot be changed. */
  async update(values: Partial<CreateInput<Fields<M>>>): Promise<number> {
    this.#writable("update");
    this.#rejectTenantField("update", Object.keys(values));
    const model = this.#meta.cls as ModelClass<M>;
    const probe = new model(values as never);
    attributes(probe)[TENANT_ID] = this.#tenant;
    await checkTenantRows(model, [probe], { tenant: this.#tenant, existing: false, fields: Object.keys(values), db: this.#db });

    return this.#query.update(values as never);
  }

  /** Deletes the tenant's matching rows. */
  delete(): Promise<number> {
    this.#writable("delete");

    return this.#query.delete();
  }

  #rejectTenantField(method: string, fields: readonly string[]): void {
    if (fields.includes(TENANT_FIELD) || fields.includes(TENANT_ID)) {
      throw new TenantIsolationError(`${this.#meta.name} ${method}(): a row's store cannot change. Leave "${TENANT_FIELD}" out.`, {
        model: this.#meta.name,
        field: TENANT_FIELD,
      });
    }
  }
}

/** Stands for the current tenant's id in a `tenantSql` query. */
export const TENANT: unique symbol = Symbol("current tenant");

/**
 * An `sql` tagged template for raw queries over tenant data. Write
 * `${TENANT}` where the store id goes; it is bound as a parameter like every
 * other value. A query without `${TENANT}` raises TenantIsolationError.
 *
 * @example
 * await db.raw(tenantSql`select count(*) as n from rental where store_id = ${TENANT}`);
 */
export function tenantSql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  if (!values.includes(TENANT)) {
    throw new TenantIsolationError("tenantSql: the query does not bind ${TENANT}, so it could read every store's rows. Add a condition on store_id = ${TENANT}.");
  }

  const tenant = currentTenant();

  return sql(strings, ...values.map((item) => (item === TENANT ? tenant : item)));
}

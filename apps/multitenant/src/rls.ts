/**
 * PostgreSQL-only isolation layers under the app's own tenant queries:
 * row-level security policies, and a schema per tenant.
 *
 * Row-level security: each tenant table gets a policy comparing `store_id`
 * with the `app.tenant` setting, and the app connects as a role without
 * superuser or BYPASSRLS, because both skip policies. The setting is made
 * per transaction with `set_config(..., true)`, which takes a bound value
 * (`set local` does not). Outside such a transaction the setting is unset or
 * empty, and the policies match no row.
 */
import { sql, type Database } from "@chakra-orm/core";
import { TENANT_MODELS } from "./models.js";

/** The custom setting the policies read. */
export const TENANT_SETTING = "app.tenant";

const POLICY = "tenant_isolation";

function requirePostgres(db: Database, feature: string): void {
  if (db.dialect.name !== "postgres") {
    throw new Error(`${feature} needs PostgreSQL; this database is ${db.dialect.name}.`);
  }
}

/**
 * Creates `role` (a login role without superuser or BYPASSRLS) if it is
 * missing, grants it the app's tables, and enables and forces row-level
 * security with a tenant policy on every tenant table. Run it as the
 * tables' owner; it is safe to run again.
 */
export async function enableRowLevelSecurity(admin: Database, role: string): Promise<void> {
  requirePostgres(admin, "Row-level security");
  const exists = await admin.sql<{ found: number }>`select 1 as found from pg_roles where rolname = ${role}`;
  const name = sql.identifier(role);

  if (exists.length === 0) {
    await admin.raw(sql`create role ${name} login nosuperuser nobypassrls`);
  }

  await admin.raw(sql`grant usage on schema public to ${name}`);
  await admin.raw(sql`grant select, insert, update, delete on all tables in schema public to ${name}`);
  await admin.raw(sql`grant usage, select on all sequences in schema public to ${name}`);

  for (const model of TENANT_MODELS) {
    const table = sql.identifier(model.$meta.table);
    // An unset setting reads as NULL and a reset one as "", so both match no row.
    const tenant = sql.raw(`nullif(current_setting('${TENANT_SETTING}', true), '')::int`);

    await admin.raw(sql`alter table ${table} enable row level security`);
    await admin.raw(sql`alter table ${table} force row level security`);
    await admin.raw(sql`drop policy if exists ${sql.identifier(POLICY)} on ${table}`);
    await admin.raw(sql`create policy ${sql.identifier(POLICY)} on ${table} using (store_id = ${tenant}) with check (store_id = ${tenant})`);
  }
}

/**
 * Runs `fn` in a transaction on `db` with `app.tenant` set to `tenant` for
 * that transaction only, so the policies show and accept only its rows.
 */
export async function withTenantTransaction<T>(db: Database, tenant: number, fn: () => Promise<T>): Promise<T> {
  requirePostgres(db, "A tenant transaction");

  return db.transaction(async () => {
    await db.raw(sql`select set_config(${TENANT_SETTING}, ${String(tenant)}, true)`);

    return fn();
  });
}

/** Returns the schema name of one tenant in schema-per-tenant mode, such as `tenant_1`. */
export function tenantSchema(tenant: number): string {
  if (!Number.isSafeInteger(tenant) || tenant <= 0) {
    throw new Error(`Invalid tenant ${tenant}: expected a positive whole number.`);
  }

  return `tenant_${tenant}`;
}

/**
 * Runs `fn` in a transaction whose search_path is the tenant's schema
 * alone, so unqualified table names resolve to that tenant's tables.
 */
export async function withTenantSchema<T>(db: Database, tenant: number, fn: () => Promise<T>): Promise<T> {
  requirePostgres(db, "Schema-per-tenant mode");

  return db.transaction(async () => {
    await db.raw(sql`select set_config('search_path', ${tenantSchema(tenant)}, true)`);

    return fn();
  });
}

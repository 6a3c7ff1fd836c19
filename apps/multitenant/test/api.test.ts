/**
 * Integration tests: import the Sakila data, start the server on a real
 * socket on 127.0.0.1, call the API with fetch, and try to read or write
 * another store's rows through every path the app offers.
 *
 * Expected values were computed from the CSV files with a separate script,
 * using the import's rules: a rental belongs to its copy's store, a payment
 * to its rental's store (or its staff member's store without a rental).
 *
 * SQLite (a temporary file) always runs. PostgreSQL and MySQL on 127.0.0.1
 * run when reachable, each on scratch databases this file creates and
 * drops; CHAKRA_REQUIRE_DBS=1 turns an unreachable server into a failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Count, Migrator, Q, QuerySet, Subquery, loadMigrations, sql, withContext, type Database } from "@chakra-orm/core";
import type { FastifyInstance } from "fastify";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import { importDataset, readDataset } from "../src/import";
import { Customer, Film, Inventory, Payment, Rental, Store } from "../src/models";
import { enableRowLevelSecurity, tenantSchema, withTenantSchema, withTenantTransaction } from "../src/rls";
import { buildServer } from "../src/server";
import { MissingTenantError, TENANT, TenantIsolationError, TenantQuery, tenantSql } from "../src/tenancy";

const APP_DIR = path.join(__dirname, "..");
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");

const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_multitenant_api_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;

/** Per-store expected values, computed from the CSV files. */
const EXPECTED = {
  1: {
    customers: 326,
    inventory: 2270,
    rentals: 7923,
    payments: 7926,
    openRentals: 92,
    filmsWithCopies: 759,
    topFilms: [
      { id: 535, title: "LOVE SUICIDES", rentals: 20 },
      { id: 55, title: "BARBARELLA STREETCAR", rentals: 18 },
      { id: 489, title: "JUGGLER HARDLY", rentals: 18 },
    ],
    topPayers: [
      { id: 403, name: "MIKE WAY", rentals: 19, paid: "103.81" },
      { id: 560, name: "JORDAN ARCHULETA", rentals: 23, paid: "103.77" },
      { id: 207, name: "GERTRUDE CASTILLO", rentals: 25, paid: "102.75" },
    ],
  },
  2: {
    customers: 273,
    inventory: 2311,
    rentals: 8121,
    payments: 8123,
    openRentals: 91,
    filmsWithCopies: 762,
    topFilms: [
      { id: 450, title: "IDOLS SNATCHERS", rentals: 20 },
      { id: 228, title: "DETECTIVE VISION", rentals: 19 },
      { id: 396, title: "HANGING DEEP", rentals: 19 },
    ],
    topPayers: [
      { id: 526, name: "KARL SEAL", rentals: 24, paid: "116.76" },
      { id: 209, name: "TONYA CHAPMAN", rentals: 23, paid: "114.77" },
      { id: 469, name: "WESLEY BULL", rentals: 23, paid: "111.77" },
    ],
  },
} as const;

/** Customer 4, BARBARA JONES, belongs to store 2 and is the only JONES; she rented 9 times at store 1 and 13 at store 2. */
const FOREIGN_CUSTOMER = { id: 4, lastName: "JONES", rentalsAtStore1: 9, rentalsAtStore2: 13 };

interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

const targets: { name: string; target: DatabaseTarget | undefined; temporary: boolean; admin?: string }[] = [
  { name: "sqlite", target: undefined, temporary: true },
  {
    name: "postgres",
    target: available.has("postgres") ? { dialect: "postgres", location: `${PG}/${SCRATCH}` } : undefined,
    temporary: false,
    admin: `${PG}/postgres`,
  },
  {
    name: "mysql",
    target: available.has("mysql") ? { dialect: "mysql", location: `${MY}/${SCRATCH}` } : undefined,
    temporary: false,
    admin: `${MY}/mysql`,
  },
];

/** Drops and (with `create`) creates a scratch database on a server. */
async function recreateScratch(dialect: DatabaseTarget["dialect"], adminUrl: string, name: string, create: boolean): Promise<void> {
  const admin = await openDatabase({ dialect, location: adminUrl }, { makeDefault: false, name: "admin" });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(name)}`);

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(name)}`);
    }
  } finally {
    await admin.close();
  }
}

function asTenant<T>(tenant: number, fn: () => Promise<T>): Promise<T> {
  return withContext({ tenant }, fn);
}

/** Starts the server on a free port and returns a client bound to it. */
async function startServer(db: Database, rowLevelSecurity = false) {
  const app = buildServer({ db, rowLevelSecurity });
  const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });

  async function api(pathname: string, tenant: string | number | undefined, init: RequestInit = {}): Promise<JsonResponse> {
    const headers = new Headers(init.headers);

    if (tenant !== undefined) {
      headers.set("x-tenant", String(tenant));
    }

    if (init.body !== undefined) {
      headers.set("content-type", "application/json");
    }

    const response = await fetch(`${baseUrl}${pathname}`, { ...init, headers });
    const text = await response.text();

    return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
  }

  const send = (method: string, pathname: string, tenant: number | undefined, payload: unknown) =>
    api(pathname, tenant, { method, body: JSON.stringify(payload) });

  return { app, api, send };
}

describe.each(targets)("multitenant API on $name", ({ target, temporary, admin }) => {
  const run = temporary || target !== undefined;
  let tempDir: string | undefined;
  let db: Database;
  let app: FastifyInstance;
  let api: Awaited<ReturnType<typeof startServer>>["api"];
  let send: Awaited<ReturnType<typeof startServer>>["send"];

  beforeAll(async () => {
    if (!run) {
      return;
    }

    let resolved = target;

    if (target && admin) {
      await recreateScratch(target.dialect, admin, SCRATCH, true);
    }

    if (temporary) {
      tempDir = mkdtempSync(path.join(tmpdir(), "chakra-multitenant-"));
      resolved = { dialect: "sqlite", location: path.join(tempDir, "multitenant.db") };
    }

    db = await openDatabase(resolved!);
    const result = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "recreate", progress: null });
    expect(result.counts).toEqual({
      country: 109,
      city: 600,
      address: 603,
      store: 2,
      language: 6,
      film: 1000,
      staff: 2,
      customer: 599,
      inventory: 4581,
      rental: 16044,
      payment: 16049,
    });
    ({ app, api, send } = await startServer(db));
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await db?.close();

    if (target && admin) {
      await recreateScratch(target.dialect, admin, SCRATCH, false);
    }

    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  const maybe = run ? test : test.skip;
  const maybeEach = run ? test.each : test.skip.each;

  describe("tenant header", () => {
    maybe("missing header is 400", async () => {
      const response = await api("/customers", undefined);

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/Missing x-tenant header/);
    });

    maybeEach(["abc", "1 or 1=1", "0", "-1", "1,2", "1.5"])("invalid header %p is 400", async (header) => {
      const response = await api("/customers", header);

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/Invalid x-tenant header/);
    });

    maybe("unknown store is 404", async () => {
      const response = await api("/customers", 9);

      expect(response.status).toBe(404);
      expect(response.body.message).toMatch(/Store 9 not found/);
    });

    maybe("index needs no tenant", async () => {
      const response = await api("/", undefined);

      expect(response.status).toBe(200);
      expect(response.body.stores).toEqual([1, 2]);
      expect(response.body.dataAttribution).toMatch(/Sakila Sample Database/);
    });
  });

  describe.each([1, 2] as const)("store %i", (store) => {
    const expected = EXPECTED[store];

    maybe("store counts match the data", async () => {
      const response = await api("/store", store);

      expect(response.status).toBe(200);
      expect(response.body.store.id).toBe(store);
      expect(response.body.counts).toEqual({
        customers: expected.customers,
        inventory: expected.inventory,
        rentals: expected.rentals,
        payments: expected.payments,
      });
    });

    maybe("customer list holds own customers", async () => {
      const response = await api("/customers?pageSize=100&page=2", store);
      const items = response.body.items as { storeId: number }[];

      expect(response.status).toBe(200);
      expect(response.body.totalCount).toBe(expected.customers);
      expect(items).toHaveLength(100);
      expect(items.every((item) => item.storeId === store)).toBe(true);
    });

    maybe("open rentals count", async () => {
      const response = await api("/rentals?open=true", store);

      expect(response.body.totalCount).toBe(expected.openRentals);
    });

    maybe("films list only stocked films", async () => {
      const response = await api("/films?pageSize=5", store);

      expect(response.status).toBe(200);
      expect(response.body.totalCount).toBe(expected.filmsWithCopies);
    });

    maybe("raw top-films report", async () => {
      const response = await api("/reports/top-films?limit=3", store);

      expect(response.status).toBe(200);
      expect(response.body.items).toEqual(expected.topFilms);
    });

    maybe("payment totals per customer", async () => {
      const response = await api("/reports/customer-payments?limit=3", store);

      expect(response.status).toBe(200);
      expect(response.body.items).toEqual(expected.topPayers);
    });
  });

  maybe("customer detail with totals", async () => {
    const response = await api("/customers/1", 1);
    const customer = response.body.customer;

    expect(response.status).toBe(200);
    expect(customer.firstName).toBe("MARY");
    expect(customer.lastName).toBe("SMITH");
    expect(customer.address.city).toBe("Sasebo");
    expect(customer.rentals).toBe(20);
    expect(customer.openRentals).toBe(0);
    expect(customer.payments).toEqual({ count: 20, total: "83.80" });
  });

  maybe("film inventory of one store", async () => {
    const response = await api("/films/1/inventory", 1);

    expect(response.status).toBe(200);
    expect(response.body.film.title).toBe("ACADEMY DINOSAUR");
    expect(response.body.copies).toEqual([
      { id: 1, available: true },
      { id: 2, available: true },
      { id: 3, available: true },
      { id: 4, available: true },
    ]);
  });

  maybe("film title filter counts own copies", async () => {
    const response = await api(`/films?title=${encodeURIComponent("academy dinosaur")}`, 2);

    expect(response.body.items).toEqual([expect.objectContaining({ id: 1, copies: 4 })]);
  });

  describe("break-in attempts", () => {
    maybe("foreign customer detail is 404", async () => {
      const detail = await api(`/customers/${FOREIGN_CUSTOMER.id}`, 1);
      const rentals = await api(`/customers/${FOREIGN_CUSTOMER.id}/rentals`, 1);

      expect(detail.status).toBe(404);
      expect(rentals.status).toBe(404);
      expect((await api(`/customers/${FOREIGN_CUSTOMER.id}`, 2)).status).toBe(200);
    });

    maybe("store id in the query is 400", async () => {
      const response = await api("/customers?storeId=2", 1);

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/must NOT have additional properties/);
    });

    maybe("rental to foreign customer hidden", async () => {
      const unscoped = await Rental.unscoped.using(db).filter({ store: 1, customer__lastName: FOREIGN_CUSTOMER.lastName }).count();
      const asStore1 = await api(`/rentals?customerLastName=${FOREIGN_CUSTOMER.lastName}`, 1);
      const asStore2 = await api(`/rentals?customerLastName=${FOREIGN_CUSTOMER.lastName}`, 2);

      expect(unscoped).toBe(FOREIGN_CUSTOMER.rentalsAtStore1);
      expect(asStore1.body.totalCount).toBe(0);
      expect(asStore2.body.totalCount).toBe(FOREIGN_CUSTOMER.rentalsAtStore2);
    });

    maybe("traversal filters see own rows only", async () => {
      await asTenant(1, async () => {
        const byName = { customer__lastName: FOREIGN_CUSTOMER.lastName };

        expect(await Rental.forTenant().filter(byName).count()).toBe(0);
        expect(await Rental.forTenant().filter(Q.or(byName, { id: -1 })).count()).toBe(0);
        expect(await Rental.forTenant().exclude(byName).count()).toBe(EXPECTED[1].rentals);
        expect(await Rental.forTenant().filter({ customer__id: FOREIGN_CUSTOMER.id }).count()).toBe(0);
        expect(await Inventory.forTenant().filter({ rentals__customer__lastName: FOREIGN_CUSTOMER.lastName }).count()).toBe(0);
        expect(await Customer.forTenant().filter({ rentals__isnull: false }).count()).toBeGreaterThan(0);
      });
      const unscopedCopies = await Inventory.unscoped.using(db).filter({ store: 1, rentals__customer__lastName: FOREIGN_CUSTOMER.lastName }).count();

      expect(unscopedCopies).toBe(FOREIGN_CUSTOMER.rentalsAtStore1);
    });

    maybe("selectRelated drops foreign relations", async () => {
      const rentals = await asTenant(1, () => Rental.forTenant().selectRelated("customer").all());
      const own = await Rental.unscoped.using(db).filter({ store: 1, customer__store: 1 }).count();

      expect(rentals).toHaveLength(own);
      expect(rentals.every((rental) => rental.customer.storeId === 1)).toBe(true);
    });

    maybe("unsafe paths and expressions are rejected", async () => {
      await asTenant(1, async () => {
        expect(() => Rental.forTenant().orderBy("customer__lastName")).toThrow(TenantIsolationError);
        expect(() => Customer.forTenant().prefetchRelated("rentals")).toThrow(TenantIsolationError);
        expect(() => Rental.forTenant().annotate({ customers: Count("customer__rentals") })).toThrow(TenantIsolationError);
        expect(() => Customer.forTenant().annotate({ n: Subquery(Rental.unscoped.filter({ store: 2 }).values("id")) })).toThrow(
          TenantIsolationError,
        );
        await expect(Rental.forTenant().flatValues("customer__email")).rejects.toThrow(TenantIsolationError);
      });
    });

    maybe("query without tenant context fails", async () => {
      expect(() => Customer.forTenant()).toThrow(MissingTenantError);
      await expect(Customer.unscoped.using(db).create({ firstName: "A", lastName: "B", addressId: 1 } as never)).rejects.toThrow(
        MissingTenantError,
      );
    });

    maybe("create naming another store is 403", async () => {
      const before = await Customer.unscoped.using(db).filter({ store: 2 }).count();
      const response = await send("POST", "/customers", 1, { firstName: "EVE", lastName: "INTRUDER", addressId: 5, storeId: 2 });

      expect(response.status).toBe(403);
      expect(response.body.message).toMatch(/names store 2, but the request acts for store 1/);
      expect(await Customer.unscoped.using(db).filter({ store: 2 }).count()).toBe(before);
    });

    maybe("update moving a customer is 403", async () => {
      const response = await send("PATCH", "/customers/1", 1, { storeId: 2 });
      const stored = await Customer.unscoped.using(db).get({ id: 1 });

      expect(response.status).toBe(403);
      expect(stored.storeId).toBe(1);
    });

    maybe("foreign customer update is 404", async () => {
      const response = await send("PATCH", `/customers/${FOREIGN_CUSTOMER.id}`, 1, { firstName: "HACKED" });
      const stored = await Customer.unscoped.using(db).get({ id: FOREIGN_CUSTOMER.id });

      expect(response.status).toBe(404);
      expect(stored.firstName).toBe("BARBARA");
    });

    maybe("save of a foreign row fails", async () => {
      const foreign = await Customer.unscoped.using(db).get({ id: FOREIGN_CUSTOMER.id });
      foreign.firstName = "HACKED";

      await expect(asTenant(1, () => foreign.save())).rejects.toThrow(TenantIsolationError);

      // Renumbering an own row to a foreign id would overwrite that row.
      const own = await Customer.unscoped.using(db).get({ id: 1 });
      own.id = FOREIGN_CUSTOMER.id;
      own.storeId = 1;

      await expect(asTenant(1, () => own.save())).rejects.toThrow(/not found for store 1/);
      expect((await Customer.unscoped.using(db).get({ id: FOREIGN_CUSTOMER.id })).firstName).toBe("BARBARA");
    });

    maybe("bulk create with a foreign store is 403", async () => {
      const before = await Customer.unscoped.using(db).count();
      const response = await send("POST", "/customers/bulk", 1, {
        customers: [
          { firstName: "OK", lastName: "ROW", addressId: 5 },
          { firstName: "BAD", lastName: "ROW", addressId: 5, storeId: 2 },
        ],
      });

      expect(response.status).toBe(403);
      expect(await Customer.unscoped.using(db).count()).toBe(before);
    });

    maybe("bulk create with foreign keys fails", async () => {
      const rental = { rentalDate: new Date(), inventoryId: 1, customerId: FOREIGN_CUSTOMER.id, staffId: 1 };

      await expect(asTenant(1, () => Rental.forTenant().bulkCreate([rental as never]))).rejects.toThrow(/Customer 4 not found for store 1/);
      // Copy 2311 and up belong to store 2.
      const copy = await Inventory.unscoped.using(db).filter({ store: 2 }).first();

      await expect(asTenant(1, () => Rental.forTenant().bulkCreate([{ ...rental, customerId: 1, inventoryId: copy!.id } as never]))).rejects.toThrow(
        TenantIsolationError,
      );
    });

    maybe("bulk update of foreign rows fails", async () => {
      const foreign = await Customer.unscoped.using(db).filter({ store: 2 }).limit(2).all();
      const own = await Customer.unscoped.using(db).filter({ store: 1 }).limit(2).all();
      [...foreign, ...own].forEach((customer) => (customer.active = false));

      await expect(asTenant(1, () => Customer.forTenant().bulkUpdate([...own, ...foreign], ["active"]))).rejects.toThrow(
        TenantIsolationError,
      );
      await expect(asTenant(1, () => Customer.forTenant().bulkUpdate(own, ["store" as never]))).rejects.toThrow(/store cannot change/);

      const disguised = foreign.map((customer) => Object.assign(customer, { storeId: 1 }));

      await expect(asTenant(1, () => Customer.forTenant().bulkUpdate(disguised, ["active"]))).rejects.toThrow(/not found for store 1/);
      expect(await Customer.unscoped.using(db).filter({ id__in: [...foreign, ...own].map((customer) => customer.id), active: false }).count()).toBe(0);
    });

    maybe("bulk update endpoint rejects foreign ids", async () => {
      const response = await send("PATCH", "/customers/bulk", 1, { updates: [{ id: 1, active: false }, { id: FOREIGN_CUSTOMER.id, active: false }] });

      expect(response.status).toBe(404);
      expect((await Customer.unscoped.using(db).get({ id: 1 })).active).toBe(true);
    });

    maybe("set-based update cannot move rows", async () => {
      await expect(asTenant(1, () => Customer.forTenant().filter({ id: 1 }).update({ storeId: 2 } as never))).rejects.toThrow(
        TenantIsolationError,
      );
      await expect(asTenant(1, () => Payment.forTenant().filter({ id: 1 }).update({ customerId: FOREIGN_CUSTOMER.id }))).rejects.toThrow(
        TenantIsolationError,
      );
      // A matching filter on another store's ids changes nothing.
      const changed = await asTenant(1, () => Customer.forTenant().filter({ id: FOREIGN_CUSTOMER.id }).update({ firstName: "HACKED" }));

      expect(changed).toBe(0);
    });

    maybe("raw SQL must bind the tenant", async () => {
      await expect(asTenant(1, async () => tenantSql`select count(*) as n from customer`)).rejects.toThrow(TenantIsolationError);
      const rows = await asTenant(2, () => db.raw<{ n: number | string }>(tenantSql`select count(*) as n from customer where store_id = ${TENANT}`));

      expect(Number(rows[0]!.n)).toBe(EXPECTED[2].customers);
      expect(() => tenantSql`select 1 where 1 = ${TENANT}`).toThrow(MissingTenantError);
    });

    maybe("shared model cannot be written", async () => {
      await expect(asTenant(1, async () => TenantQuery.shared(Film).update({ title: "X" }))).rejects.toThrow(TenantIsolationError);
    });
  });

  describe("writes and custom fields", () => {
    maybe("create sets the store", async () => {
      const response = await send("POST", "/customers", 2, {
        firstName: "NEW",
        lastName: "CUSTOMER",
        email: "new@example.com",
        addressId: 7,
        customFields: { tier: "gold", visits: 3 },
      });

      expect(response.status).toBe(201);
      expect(response.body.customer.storeId).toBe(2);
      expect(response.headers.get("location")).toBe(`/customers/${response.body.customer.id}`);
      expect((await api(`/customers/${response.body.customer.id}`, 1)).status).toBe(404);
      expect((await api(`/customers/${response.body.customer.id}`, 2)).body.customer.customFields).toEqual({ tier: "gold", visits: 3 });
    });

    maybe("custom field filter by key path", async () => {
      const patch = await send("PATCH", "/customers/5", 1, { customFields: { tier: "gold" } });
      const silver = await send("PATCH", "/customers/10", 1, { customFields: { tier: "silver" } });
      const gold1 = await api("/customers?tier=gold", 1);
      const gold2 = await api("/customers?tier=gold", 2);

      expect(patch.status).toBe(200);
      expect(patch.body.customer.customFields).toEqual({ tier: "gold" });
      expect(silver.status).toBe(200);
      expect((await send("PATCH", "/customers/6", 1, { customFields: { tier: "silver" } })).status).toBe(404);
      expect(gold1.body.items.map((item: { id: number }) => item.id)).toEqual([5]);
      expect(gold2.body.items.every((item: { storeId: number }) => item.storeId === 2)).toBe(true);
      expect(await asTenant(1, () => Customer.forTenant().filter({ customFields__tier: "silver" } as never).count())).toBe(1);
    });

    maybe("null removes a custom field", async () => {
      await send("PATCH", "/customers/7", 1, { customFields: { tier: "bronze", note: "x" } });
      const response = await send("PATCH", "/customers/7", 1, { customFields: { note: null } });

      expect(response.body.customer.customFields).toEqual({ tier: "bronze" });
    });

    maybe("bulk create and update", async () => {
      const created = await send("POST", "/customers/bulk", 1, {
        customers: [
          { firstName: "BULK", lastName: "ONE", addressId: 8 },
          { firstName: "BULK", lastName: "TWO", addressId: 9, customFields: { tier: "gold" } },
        ],
      });
      const ids = created.body.customers.map((customer: { id: number }) => customer.id);
      const updated = await send("PATCH", "/customers/bulk", 1, { updates: ids.map((id: number) => ({ id, active: false, customFields: { source: "bulk" } })) });
      const stored = await Customer.unscoped.using(db).filter({ id__in: ids }).orderBy("id").all();

      expect(created.status).toBe(201);
      expect(created.body.customers.map((customer: { storeId: number }) => customer.storeId)).toEqual([1, 1]);
      expect(updated.status).toBe(200);
      expect(updated.body.updated).toBe(2);
      expect(stored.map((customer) => customer.active)).toEqual([false, false]);
      expect(stored.map((customer) => customer.customFields)).toEqual([{ source: "bulk" }, { tier: "gold", source: "bulk" }]);
    });

    maybe("settings per store", async () => {
      const initial = await api("/settings", 1);
      const put = await send("PUT", "/settings", 1, { currency: "EUR", theme: { color: "teal" } });
      const patch = await send("PATCH", "/settings", 1, { maxOpenRentals: 3 });
      const other = await api("/settings", 2);

      expect(initial.body.settings).toEqual({ currency: "USD", lateFeePerDay: "1.00", maxOpenRentals: 5 });
      expect(put.body.settings).toEqual({ currency: "EUR", lateFeePerDay: "1.00", maxOpenRentals: 5, theme: { color: "teal" } });
      expect(patch.body.settings).toEqual({ currency: "EUR", lateFeePerDay: "1.00", maxOpenRentals: 3, theme: { color: "teal" } });
      expect(other.body.settings).toEqual(initial.body.settings);
      expect(await Store.objects.using(db).count()).toBe(2);
    });
  });
});

const PG_RUN = available.has("postgres");
const pgTest = PG_RUN ? test : test.skip;

describe("PostgreSQL row-level security", () => {
  const name = "chakra_multitenant_rls";
  const role = "chakra_multitenant_rls_app";
  let admin: Database;
  let appDb: Database;
  let client: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    if (!PG_RUN) {
      return;
    }

    await recreateScratch("postgres", `${PG}/postgres`, name, true);
    admin = await openDatabase({ dialect: "postgres", location: `${PG}/${name}` });
    await importDataset(admin, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "recreate", progress: null });
    await enableRowLevelSecurity(admin, role);
    const url = new URL(`${PG}/${name}`);
    url.username = role;
    appDb = await openDatabase({ dialect: "postgres", location: url.toString() }, { name: "rls" });
    client = await startServer(appDb, true);
  }, 180_000);

  afterAll(async () => {
    await client?.app.close();
    await appDb?.close();
    await admin?.close();

    if (PG_RUN) {
      await recreateScratch("postgres", `${PG}/postgres`, name, false);
      const server = await openDatabase({ dialect: "postgres", location: `${PG}/postgres` }, { makeDefault: false, name: "cleanup" });
      await server.raw(sql`drop role if exists ${sql.identifier(role)}`);
      await server.close();
    }
  });

  pgTest("app role is subject to policies", async () => {
    const [row] = await appDb.sql<{ rolsuper: boolean; rolbypassrls: boolean }>`select rolsuper, rolbypassrls from pg_roles where rolname = current_user`;

    expect(row).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  pgTest("unscoped query outside a tenant sees nothing", async () => {
    expect(await Customer.unscoped.using(appDb).count()).toBe(0);
    expect(await Customer.unscoped.using(admin).count()).toBe(599);
  });

  pgTest.each([1, 2] as const)("unscoped queries see store %i only", async (store) => {
    const counts = await withTenantTransaction(appDb, store, async () => ({
      customers: await Customer.unscoped.using(appDb).count(),
      rentals: await Rental.unscoped.using(appDb).count(),
      payments: await Payment.unscoped.using(appDb).count(),
      raw: Number((await appDb.sql<{ n: string }>`select count(*) as n from inventory`)[0]!.n),
    }));

    expect(counts).toEqual({
      customers: EXPECTED[store].customers,
      rentals: EXPECTED[store].rentals,
      payments: EXPECTED[store].payments,
      raw: EXPECTED[store].inventory,
    });
  });

  pgTest("setting ends with the transaction", async () => {
    await withTenantTransaction(appDb, 1, () => Customer.unscoped.using(appDb).count());

    expect(await Customer.unscoped.using(appDb).count()).toBe(0);
  });

  pgTest("policy rejects a foreign insert", async () => {
    const insert = withTenantTransaction(appDb, 1, () =>
      appDb.sql`insert into customer (store_id, first_name, last_name, address_id, active, created_at, custom_fields) values (2, 'EVE', 'X', 5, true, now(), '{}')`,
    );

    await expect(insert).rejects.toThrow(/row-level security/);
  });

  pgTest("HTTP API under row-level security", async () => {
    const store = await client.api("/store", 2);
    const foreign = await client.api(`/customers/${FOREIGN_CUSTOMER.id}`, 1);

    expect(store.status).toBe(200);
    expect(store.body.counts.customers).toBe(EXPECTED[2].customers);
    expect(foreign.status).toBe(404);
  });
});

describe("PostgreSQL schema per tenant", () => {
  const name = "chakra_multitenant_schemas";
  let db: Database;

  beforeAll(async () => {
    if (!PG_RUN) {
      return;
    }

    await recreateScratch("postgres", `${PG}/postgres`, name, true);
    db = await openDatabase({ dialect: "postgres", location: `${PG}/${name}` }, { name: "schemas" });
    const tables = readDataset(CSV_DIR);

    for (const store of [1, 2]) {
      const schema = tenantSchema(store);
      await db.raw(sql`create schema ${sql.identifier(schema)}`);
      const tenantDb = await openDatabase({ dialect: "postgres", location: `${PG}/${name}` }, { schema, makeDefault: false, name: schema });

      try {
        await new Migrator(tenantDb, await loadMigrations(MIGRATIONS_DIR)).migrate();

        // Each schema gets the shared tables and its own store's customers and copies.
        for (const { model, label, rows } of tables) {
          if (label === "rental" || label === "payment") {
            continue;
          }

          const own = rows.filter((row) => !("storeId" in row) || row.storeId === store);
          await new QuerySet(model, tenantDb).bulkCreate(own as never[]);
        }
      } finally {
        await tenantDb.close();
      }
    }
  }, 180_000);

  afterAll(async () => {
    await db?.close();

    if (PG_RUN) {
      await recreateScratch("postgres", `${PG}/postgres`, name, false);
    }
  });

  pgTest.each([1, 2] as const)("search_path selects store %i", async (store) => {
    const count = await withTenantSchema(db, store, () => Customer.unscoped.using(db).count());
    const copies = await withTenantSchema(db, store, () => Inventory.unscoped.using(db).count());

    expect(count).toBe(EXPECTED[store].customers);
    expect(copies).toBe(EXPECTED[store].inventory);
  });

  pgTest("write lands in one schema", async () => {
    const created = await asTenant(1, () =>
      withTenantSchema(db, 1, () => Customer.unscoped.using(db).create({ firstName: "SCHEMA", lastName: "ONE", addressId: 5 } as never)),
    );
    const inOne = await withTenantSchema(db, 1, () => Customer.unscoped.using(db).filter({ lastName: "ONE" }).count());
    const inTwo = await withTenantSchema(db, 2, () => Customer.unscoped.using(db).filter({ lastName: "ONE" }).count());

    expect(created.storeId).toBe(1);
    expect(inOne).toBe(1);
    expect(inTwo).toBe(0);
  });

  pgTest("search_path resets after the transaction", async () => {
    await withTenantSchema(db, 1, () => Customer.unscoped.using(db).count());

    await expect(Customer.unscoped.using(db).count()).rejects.toThrow(/does not exist/);
  });
});

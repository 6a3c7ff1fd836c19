/**
 * Integration tests: import the Northwind data, start the server on a real
 * socket on 127.0.0.1, and call the API with fetch. Expected values are
 * computed here from the CSV files with integer arithmetic, without the ORM.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql, type Database } from "@chakra-orm/core";
import type { FastifyInstance } from "fastify";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import { readCsv, type CsvRecord } from "../src/csv";
import { importDataset } from "../src/import";
import { Inventory, OrderLine } from "../src/models";
import type { LockingStrategy } from "../src/orders";
import { buildServer } from "../src/server";

const APP_DIR = path.join(__dirname, "..");
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");

const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";
/** A scratch database per jest run, so two runs on one server never collide. */
const SCRATCH = `chakra_ecommerce_api_${(process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "")}`;

/** Concurrent orders in each race test, and the stock they compete for. */
const RACE_ORDERS = 40;
const RACE_STOCK = 10;

// ---- Expected values, from the CSV files ----

const csv = (name: string): CsvRecord[] => readCsv(CSV_DIR, name, []).records;
const products = csv("products");
const orders = csv("orders");
const details = csv("order_details");

/** Parses a decimal with at most two decimals into hundredths. */
function hundredths(text: string | null | undefined): number {
  const [whole, fraction = ""] = (text ?? "0").split(".");

  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** Revenue of an order_details record in 1/10000 units. */
function lineUnits(record: CsvRecord): number {
  return hundredths(record.unit_price) * Number(record.quantity) * (100 - hundredths(record.discount));
}

/** Rounds 1/10000 units half up to cents and formats them like the API. */
function money(units: number): string {
  const cents = Math.floor((units + 50) / 100);

  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

const orderDates = new Map(orders.map((record) => [record.order_id, record.order_date!]));

function expectedMonths(year: string) {
  const months = new Map<string, { orders: Set<string>; units: number; quantity: number }>();

  for (const record of details) {
    const month = orderDates.get(record.order_id)!.slice(0, 7);

    if (!month.startsWith(year)) {
      continue;
    }

    const entry = months.get(month) ?? { orders: new Set(), units: 0, quantity: 0 };
    entry.orders.add(record.order_id!);
    entry.units += lineUnits(record);
    entry.quantity += Number(record.quantity);
    months.set(month, entry);
  }

  return [...months.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, entry]) => ({ month, orders: entry.orders.size, unitsSold: entry.quantity, revenue: money(entry.units) }));
}

/** Products of each category by revenue, with RANK() numbering, cut at `top`. */
function expectedBestSellers(top: number) {
  const revenue = new Map<string, number>();
  const sold = new Map<string, number>();

  for (const record of details) {
    revenue.set(record.product_id!, (revenue.get(record.product_id!) ?? 0) + lineUnits(record));
    sold.set(record.product_id!, (sold.get(record.product_id!) ?? 0) + Number(record.quantity));
  }

  const byCategory = new Map<number, { productId: number; name: string; units: number; unitsSold: number }[]>();

  for (const record of products) {
    const list = byCategory.get(Number(record.category_id)) ?? [];
    list.push({
      productId: Number(record.product_id),
      name: record.product_name!,
      units: revenue.get(record.product_id!) ?? 0,
      unitsSold: sold.get(record.product_id!) ?? 0,
    });
    byCategory.set(Number(record.category_id), list);
  }

  return [...byCategory.entries()]
    .sort(([a], [b]) => a - b)
    .map(([categoryId, list]) => {
      list.sort((a, b) => b.units - a.units || a.productId - b.productId);

      return {
        categoryId,
        products: list
          .map((item) => ({
            rank: list.filter((other) => other.units > item.units).length + 1,
            productId: item.productId,
            name: item.name,
            unitsSold: item.unitsSold,
            revenue: money(item.units),
          }))
          .filter((item) => item.rank <= top),
      };
    });
}

interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * Every dialect runs the same tests: SQLite on a temporary file, the
 * servers on a scratch database this file creates and drops. A server that
 * is not reachable is skipped (the global setup fails instead when
 * CHAKRA_REQUIRE_DBS=1).
 */
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

/** Drops and, when `create` is set, creates the scratch database on a server. */
async function recreateScratch(target: DatabaseTarget, adminUrl: string, create: boolean): Promise<void> {
  const admin = await openDatabase({ dialect: target.dialect, location: adminUrl });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(SCRATCH)}`);

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(SCRATCH)}`);
    }
  } finally {
    await admin.close();
  }
}

describe.each(targets)("shop API on $name", ({ target, temporary, admin }) => {
  const run = temporary || target !== undefined;
  let tempDir: string | undefined;
  let db: Database;
  const apps = new Map<LockingStrategy, { app: FastifyInstance; baseUrl: string }>();

  async function call(pathname: string, init: RequestInit = {}, locking: LockingStrategy = "pessimistic"): Promise<JsonResponse> {
    const response = await fetch(`${apps.get(locking)!.baseUrl}${pathname}`, init);
    const text = await response.text();

    return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
  }

  function postJson(pathname: string, payload: unknown, locking: LockingStrategy = "pessimistic"): Promise<JsonResponse> {
    return call(pathname, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }, locking);
  }

  beforeAll(async () => {
    if (!run) {
      return;
    }

    let resolved = target;

    if (target && admin) {
      await recreateScratch(target, admin, true);
    }

    if (temporary) {
      tempDir = mkdtempSync(path.join(tmpdir(), "chakra-ecommerce-"));
      resolved = { dialect: "sqlite", location: path.join(tempDir, "shop.db") };
    }

    db = await openDatabase(resolved!);
    const result = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "recreate", progress: null });
    expect(result.counts).toEqual({ categories: 8, customers: 91, products: 77, inventory: 77, orders: 830, orderLines: 2155 });

    for (const locking of ["pessimistic", "optimistic"] as const) {
      const app = buildServer({ db, locking });
      apps.set(locking, { app, baseUrl: await app.listen({ host: "127.0.0.1", port: 0 }) });
    }
  }, 120_000);

  afterAll(async () => {
    for (const { app } of apps.values()) {
      await app.close();
    }

    await db?.close();

    if (target && admin) {
      await recreateScratch(target, admin, false);
    }

    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  const maybe = run ? test : test.skip;
  const maybeEach = run ? test.each : test.skip.each;

  maybe("import skips a loaded database", async () => {
    const again = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "skip", progress: null });

    expect(again.skipped).toBe(true);
  });

  maybe("product list pages", async () => {
    const first = await call("/products");
    const last = await call("/products?page=4");

    expect(first.status).toBe(200);
    expect(first.body.totalCount).toBe(77);
    expect(first.body.pageCount).toBe(4);
    expect(first.body.items).toHaveLength(20);
    expect(first.body.items[0]).toEqual({
      id: 1,
      name: "Chai",
      category: { id: 1, name: "Beverages" },
      quantityPerUnit: "10 boxes x 20 bags",
      unitPrice: "18.00",
      discontinued: false,
      unitsInStock: 39,
    });
    expect(last.body.items).toHaveLength(17);
    expect(last.body.items[16].id).toBe(77);
    expect((await call("/products?page=5")).status).toBe(404);
  });

  maybe("product filters match the CSV", async () => {
    const count = (predicate: (record: CsvRecord) => boolean) => products.filter(predicate).length;
    const beverages = await call("/products?categoryId=1&pageSize=100");
    const midPriced = await call("/products?minPrice=20&maxPrice=30&pageSize=100");
    const soldOut = await call("/products?inStock=false&pageSize=100");
    const sauces = await call("/products?q=SAUCE");
    const discontinued = await call("/products?discontinued=true&pageSize=100");

    expect(beverages.body.totalCount).toBe(count((record) => record.category_id === "1"));
    expect(beverages.body.totalCount).toBe(12);
    expect(midPriced.body.totalCount).toBe(count((record) => hundredths(record.unit_price) >= 2000 && hundredths(record.unit_price) <= 3000));
    expect(soldOut.body.items.map((item: { id: number }) => item.id)).toEqual(
      products.filter((record) => record.units_in_stock === "0").map((record) => Number(record.product_id)),
    );
    expect(sauces.body.items.map((item: { name: string }) => item.name)).toEqual(
      products.filter((record) => record.product_name!.toLowerCase().includes("sauce")).map((record) => record.product_name),
    );
    expect(discontinued.body.totalCount).toBe(8);
  });

  maybe("products sort by price", async () => {
    const response = await call("/products?sort=-price&pageSize=3");

    expect(response.body.items.map((item: { name: string; unitPrice: string }) => [item.name, item.unitPrice])).toEqual([
      ["Côte de Blaye", "263.50"],
      ["Thüringer Rostbratwurst", "123.79"],
      ["Mishi Kobe Niku", "97.00"],
    ]);

    const cheapest = await call("/products?sort=price&pageSize=2");

    expect(cheapest.body.items.map((item: { name: string }) => item.name)).toEqual(["Geitost", "Guaraná Fantástica"]);
  });

  maybeEach([
    ["pageSize=101", /pageSize must be <= 100/],
    ["minPrice=abc", /minPrice must match pattern/],
    ["sort=color", /sort must be equal to one of the allowed values/],
    ["color=red", /must NOT have additional properties/],
  ])("invalid product query %s is 400", async (query, message) => {
    const response = await call(`/products?${query}`);

    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(message);
  });

  maybe("product detail has stock", async () => {
    const response = await call("/products/38");

    expect(response.status).toBe(200);
    expect(response.body.product).toMatchObject({ name: "Côte de Blaye", unitPrice: "263.50", unitsInStock: 17, unitsOnOrder: 0, reorderLevel: 15 });
    expect((await call("/products/999")).status).toBe(404);
  });

  maybe("order detail totals order 10248", async () => {
    const response = await call("/orders/10248");
    const { order } = response.body;

    expect(response.status).toBe(200);
    expect(order.customer).toEqual({ id: "VINET", companyName: "Vins et alcools Chevalier", country: "France" });
    expect(order.orderDate).toBe("1996-07-04");
    expect(order.lines.map((line: { productId: number; total: string }) => [line.productId, line.total])).toEqual([
      [11, "168.00"],
      [42, "98.00"],
      [72, "174.00"],
    ]);
    expect(order.subtotal).toBe("440.00");
    expect(order.freight).toBe("32.38");
    expect(order.total).toBe("472.38");
  });

  maybe("order detail applies discounts", async () => {
    // Order 10250: 10 x 7.70, 35 x 42.40 at 15% off, 15 x 16.80 at 15% off.
    const response = await call("/orders/10250");

    expect(response.body.order.lines.map((line: { total: string }) => line.total)).toEqual(["77.00", "1261.40", "214.20"]);
    expect(response.body.order.subtotal).toBe("1552.60");
  });

  maybe("customer totals match the CSV", async () => {
    const orderIds = new Set(orders.filter((record) => record.customer_id === "ALFKI").map((record) => record.order_id));
    const units = details.filter((record) => orderIds.has(record.order_id)).reduce((sum, record) => sum + lineUnits(record), 0);
    const response = await call("/customers/alfki");

    expect(response.status).toBe(200);
    expect(response.body.customer.orderCount).toBe(6);
    expect(response.body.customer.revenue).toBe(money(units));
    expect((await call("/customers/ZZZZZ")).status).toBe(404);
  });

  maybe("orders list by customer", async () => {
    const response = await call("/orders?customerId=ALFKI");

    expect(response.body.totalCount).toBe(6);
    expect(response.body.items[0]).toMatchObject({ id: 11011, orderDate: "1998-04-09" });
  });

  maybe("revenue by month for 1997", async () => {
    const response = await call("/reports/revenue-by-month?year=1997");
    const expected = expectedMonths("1997");

    expect(response.status).toBe(200);
    expect(response.body.months).toEqual(expected);
    expect(response.body.months[0]).toEqual({ month: "1997-01", orders: 33, unitsSold: 2401, revenue: "61258.07" });
  });

  maybe("revenue by month for all years", async () => {
    const response = await call("/reports/revenue-by-month");

    expect(response.body.months).toEqual(expectedMonths(""));
    expect(response.body.months).toHaveLength(23);
    expect(response.body.months.reduce((sum: number, month: { orders: number }) => sum + month.orders, 0)).toBe(830);
  });

  maybe("best sellers rank per category", async () => {
    const response = await call("/reports/best-sellers?top=3");
    const expected = expectedBestSellers(3);

    expect(response.status).toBe(200);
    expect(response.body.categories.map(({ categoryName: _name, ...rest }: { categoryName: string }) => rest)).toEqual(expected);
    expect(response.body.categories[0].categoryName).toBe("Beverages");
    expect(response.body.categories[0].products[0]).toEqual({
      rank: 1,
      productId: 38,
      name: "Côte de Blaye",
      unitsSold: 623,
      revenue: "141396.74",
    });
  });

  maybe("best sellers of one category", async () => {
    const response = await call("/reports/best-sellers?top=1&categoryId=8");

    expect(response.body.categories).toEqual([
      { categoryId: 8, categoryName: "Seafood", products: [expect.objectContaining({ rank: 1, name: "Carnarvon Tigers", revenue: "29171.88" })] },
    ]);
  });

  maybe("low stock lists reorder candidates", async () => {
    const response = await call("/inventory/low-stock");
    const expected = products
      .filter((record) => Number(record.units_in_stock) <= Number(record.reorder_level) && record.units_on_order === "0" && record.discontinued === "0")
      .map((record) => Number(record.product_id));

    expect(response.body.items.map((item: { productId: number }) => item.productId)).toEqual(expected);
  });

  maybe("reprice raises a category by 5%", async () => {
    const response = await postJson("/products/reprice", { categoryId: 1, percent: 5 });
    const beverages = products.filter((record) => record.category_id === "1" && record.discontinued === "0");

    expect(response.status).toBe(200);
    expect(response.body.updated).toBe(11);
    expect(response.body.products.find((item: { id: number }) => item.id === 75)).toEqual({
      id: 75,
      name: "Rhönbräu Klosterbier",
      oldPrice: "7.75",
      // 7.75 x 1.05 = 8.1375, rounded half up.
      newPrice: "8.14",
    });

    const listing = await call("/products?categoryId=1&pageSize=100");
    const prices = new Map(listing.body.items.map((item: { id: number; unitPrice: string }) => [item.id, item.unitPrice]));

    for (const record of beverages) {
      expect(prices.get(Number(record.product_id))).toBe(money(hundredths(record.unit_price) * 105));
    }

    // The discontinued Guaraná Fantástica keeps its price.
    expect(prices.get(24)).toBe("4.50");
  });

  maybe("reprice lowers and rounds", async () => {
    const response = await postJson("/products/reprice", { categoryId: 2, percent: -12.5, includeDiscontinued: true });
    const condiments = products.filter((record) => record.category_id === "2");

    expect(response.body.updated).toBe(condiments.length);

    for (const record of condiments) {
      const item = response.body.products.find((product: { id: number }) => product.id === Number(record.product_id));

      expect(item.newPrice).toBe(money(hundredths(record.unit_price) * 87.5));
    }
  });

  maybeEach([
    ["missing percent", { categoryId: 1 }, 400, /must have required property 'percent'/],
    ["too many decimals", { categoryId: 1, percent: 1.234 }, 400, /more than two decimals/],
    ["percent below -90", { categoryId: 1, percent: -95 }, 400, /percent must be >= -90/],
    ["unknown category", { categoryId: 99, percent: 1 }, 404, /Category 99 not found/],
  ])("reprice rejects %s", async (_name, payload, status, message) => {
    const response = await postJson("/products/reprice", payload);

    expect(response.status).toBe(status);
    expect(response.body.message).toMatch(message);
  });

  maybeEach(["pessimistic", "optimistic"] as const)("order takes stock (%s)", async (locking) => {
    const before = (await call("/products/1")).body.product;
    // The reprice tests may have changed both prices, so they are read here.
    const otherPrice = (await call("/products/3")).body.product.unitPrice;
    const created = await postJson("/orders", { customerId: "ALFKI", lines: [{ productId: 1, quantity: 2 }, { productId: 3, quantity: 1 }] }, locking);

    expect(created.status).toBe(201);
    expect(created.body.placement).toEqual({ locking, attempts: 1 });
    expect(created.headers.get("location")).toBe(`/orders/${created.body.order.id}`);
    expect(created.body.order.id).toBeGreaterThan(11077);
    expect(created.body.order.lines.map((line: { productId: number; quantity: number }) => [line.productId, line.quantity])).toEqual([
      [1, 2],
      [3, 1],
    ]);
    expect(created.body.order.subtotal).toBe(
      money((hundredths(before.unitPrice) * 2 + hundredths(otherPrice)) * 100),
    );

    const after = (await call("/products/1")).body.product;

    expect(after.unitsInStock).toBe(before.unitsInStock - 2);
    expect(after.stockVersion).toBe(before.stockVersion + 1);
    expect((await call(`/orders/${created.body.order.id}`)).body.order.total).toBe(created.body.order.total);
  });

  maybeEach([
    ["unknown customer", { customerId: "NOONE", lines: [{ productId: 1, quantity: 1 }] }, 400, /Customer "NOONE" not found/],
    ["unknown product", { customerId: "ALFKI", lines: [{ productId: 999, quantity: 1 }] }, 400, /Product\(s\) 999 not found/],
    ["discontinued product", { customerId: "ALFKI", lines: [{ productId: 5, quantity: 1 }] }, 409, /5 \(Chef Anton's Gumbo Mix\) are discontinued/],
    ["sold-out product", { customerId: "ALFKI", lines: [{ productId: 31, quantity: 1 }] }, 409, /Insufficient stock for product 31 \(Gorgonzola Telino\): 0 in stock, 1 requested/],
    ["zero quantity", { customerId: "ALFKI", lines: [{ productId: 1, quantity: 0 }] }, 400, /quantity must be >= 1/],
    ["no lines", { customerId: "ALFKI", lines: [] }, 400, /lines must NOT have fewer than 1 items/],
  ])("order rejects %s", async (_name, payload, status, message) => {
    const response = await postJson("/orders", payload);

    expect(response.status).toBe(status);
    expect(response.body.message).toMatch(message);
  });

  maybe("failed order leaves stock unchanged", async () => {
    const before = (await call("/products/2")).body.product.unitsInStock;
    // Product 2 has stock, product 31 has none, so the whole order fails.
    const response = await postJson("/orders", { customerId: "ALFKI", lines: [{ productId: 2, quantity: 1 }, { productId: 31, quantity: 1 }] });

    expect(response.status).toBe(409);
    expect((await call("/products/2")).body.product.unitsInStock).toBe(before);
  });

  maybeEach([
    ["pessimistic", 11],
    ["optimistic", 12],
  ] as const)("concurrent orders never oversell (%s)", async (locking, productId) => {
    await Inventory.objects.filter({ productId }).update({ unitsInStock: RACE_STOCK });
    const linesBefore = await OrderLine.objects.filter({ productId }).count();
    const stockSeen: number[] = [];

    const orderResults = Array.from({ length: RACE_ORDERS }, (_, index) =>
      postJson("/orders", { customerId: index % 2 === 0 ? "ALFKI" : "BONAP", lines: [{ productId, quantity: 1 }] }, locking),
    );
    // Reads during the race, one per four orders, check the stock as others see it.
    const reads = Array.from({ length: RACE_ORDERS / 4 }, async () => {
      stockSeen.push((await call(`/products/${productId}`)).body.product.unitsInStock);
    });
    const results = await Promise.all(orderResults);
    await Promise.all(reads);

    const placed = results.filter((result) => result.status === 201);
    const rejected = results.filter((result) => result.status === 409);
    const remaining = (await call(`/products/${productId}`)).body.product.unitsInStock;
    const sold = (await OrderLine.objects.filter({ productId }).count()) - linesBefore;

    expect(placed.length).toBe(RACE_STOCK);
    expect(rejected.length).toBe(RACE_ORDERS - RACE_STOCK);
    expect(rejected.every((result) => /Insufficient stock/.test(result.body.message))).toBe(true);
    expect(remaining).toBe(0);
    expect(sold).toBe(RACE_STOCK);
    expect(sold + remaining).toBe(RACE_STOCK);
    expect(Math.min(...stockSeen)).toBeGreaterThanOrEqual(0);
    expect(placed.every((result) => result.body.placement.locking === locking)).toBe(true);

    if (locking === "pessimistic") {
      expect(placed.every((result) => result.body.placement.attempts === 1)).toBe(true);
    }
  }, 60_000);

  maybe("unknown route is JSON 404", async () => {
    const response = await call("/nothing-here");

    expect(response.status).toBe(404);
    expect(response.body.message).toBe("No route for GET /nothing-here.");
  });
});

/**
 * Imports the Northwind CSV files into the shop's tables, keeping the
 * dataset's ids. Stock levels come from the product columns
 * `units_in_stock`, `units_on_order` and `reorder_level`.
 */
import { Migrator, introspect, loadMigrations, type Database } from "@chakra-orm/core";
import { readCsv, readersOf } from "./csv.js";
import { Category, Customer, Inventory, Order, OrderLine, Product } from "./models.js";
import { ProgressBar } from "./progress.js";

/** Rows per bulkCreate call; small enough for the bar to move. */
const BATCH_SIZE = 200;

export interface ImportOptions {
  /** The folder that contains the CSV files. */
  csvDir: string;
  /** The shop's migrations folder (apps/ecommerce/migrations). */
  migrationsDir: string;
  /**
   * "skip" leaves a database that already contains products untouched, and
   * "recreate" rolls back every migration (dropping the shop's tables),
   * migrates again and imports again.
   */
  mode: "skip" | "recreate";
  /** Stream for the progress bars (default process.stderr), or null for none. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | null;
}

export interface ImportResult {
  skipped: boolean;
  /** Rows inserted per table (empty when skipped). */
  counts: Record<string, number>;
  durationMs: number;
}

async function insertInBatches<T>(
  output: ImportOptions["progress"],
  label: string,
  rows: readonly T[],
  insert: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  const bar = output ? new ProgressBar(output, label, rows.length) : undefined;

  for (let start = 0; start < rows.length; start += BATCH_SIZE) {
    const batch = rows.slice(start, start + BATCH_SIZE);
    await insert(batch);
    bar?.advance(batch.length);
  }

  bar?.finish();
}

function categoryRows(csvDir: string) {
  const table = readCsv(csvDir, "categories", ["category_id", "category_name", "description"]);

  return readersOf(table).map((row) => ({
    id: row.integer("category_id"),
    name: row.text("category_name"),
    description: row.optionalText("description"),
  }));
}

function customerRows(csvDir: string) {
  const table = readCsv(csvDir, "customers", ["customer_id", "company_name", "contact_name", "city", "country"]);

  return readersOf(table).map((row) => ({
    id: row.text("customer_id"),
    companyName: row.text("company_name"),
    contactName: row.optionalText("contact_name"),
    city: row.optionalText("city"),
    country: row.optionalText("country"),
  }));
}

const PRODUCT_COLUMNS = [
  "product_id",
  "product_name",
  "category_id",
  "quantity_per_unit",
  "unit_price",
  "units_in_stock",
  "units_on_order",
  "reorder_level",
  "discontinued",
];

function productRows(csvDir: string) {
  const readers = readersOf(readCsv(csvDir, "products", PRODUCT_COLUMNS));
  const products = readers.map((row) => ({
    id: row.integer("product_id"),
    name: row.text("product_name"),
    categoryId: row.integer("category_id"),
    quantityPerUnit: row.optionalText("quantity_per_unit"),
    unitPrice: row.decimal("unit_price"),
    discontinued: row.boolean("discontinued"),
  }));
  const inventory = readers.map((row) => ({
    productId: row.integer("product_id"),
    unitsInStock: row.integer("units_in_stock"),
    unitsOnOrder: row.integer("units_on_order"),
    reorderLevel: row.integer("reorder_level"),
  }));

  return { products, inventory };
}

function orderRows(csvDir: string) {
  const table = readCsv(csvDir, "orders", ["order_id", "customer_id", "order_date", "shipped_date", "freight"]);

  return readersOf(table).map((row) => ({
    id: row.integer("order_id"),
    customerId: row.text("customer_id"),
    orderDate: row.date("order_date"),
    requiredDate: row.optionalDate("required_date"),
    shippedDate: row.optionalDate("shipped_date"),
    freight: row.decimal("freight"),
    shipName: row.optionalText("ship_name"),
    shipCity: row.optionalText("ship_city"),
    shipCountry: row.optionalText("ship_country"),
  }));
}

function orderLineRows(csvDir: string) {
  const table = readCsv(csvDir, "order_details", ["order_id", "product_id", "unit_price", "quantity", "discount"]);

  return readersOf(table).map((row) => ({
    orderId: row.integer("order_id"),
    productId: row.integer("product_id"),
    unitPrice: row.decimal("unit_price"),
    quantity: row.integer("quantity"),
    discount: row.decimal("discount"),
  }));
}

/**
 * Applies the shop's pending migrations. "recreate" first rolls back every
 * applied one, which drops the tables with their rows.
 */
export async function migrateDatabase(db: Database, migrationsDir: string, mode: ImportOptions["mode"]): Promise<void> {
  const migrator = new Migrator(db, await loadMigrations(migrationsDir));
  const recorded = (await migrator.status()).some((item) => item.applied);

  if (!recorded && (await introspect(db)).has(Product.$meta.table)) {
    throw new Error(
      "The database has the shop's tables but no applied migrations: db.createTables() built it. " +
        'Record the initial migration without running it ("pnpm migrate --fake 0001_initial" in apps/ecommerce, with the same DATABASE_URL), ' +
        "or delete the SQLite file to start over.",
    );
  }

  if (mode === "recreate") {
    await migrator.migrate({ target: "zero" });
  }

  await migrator.migrate();
}

/**
 * Migrates the database to the latest schema and imports the CSV files in
 * one transaction, so a failed import leaves no partial data behind.
 */
export async function importDataset(db: Database, options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const output = options.progress === undefined ? process.stderr : options.progress;

  await migrateDatabase(db, options.migrationsDir, options.mode);

  if (await Product.objects.using(db).exists()) {
    return { skipped: true, counts: {}, durationMs: performance.now() - started };
  }

  // Read and convert everything first, so a bad CSV row fails before any write.
  const categories = categoryRows(options.csvDir);
  const customers = customerRows(options.csvDir);
  const { products, inventory } = productRows(options.csvDir);
  const orders = orderRows(options.csvDir);
  const lines = orderLineRows(options.csvDir);
  const load = <T>(label: string, rows: T[], insert: (batch: T[]) => Promise<unknown>) =>
    insertInBatches(output, label, rows, insert);

  await db.transaction(async () => {
    await load("categories", categories, (batch) => Category.objects.using(db).bulkCreate(batch));
    await load("customers", customers, (batch) => Customer.objects.using(db).bulkCreate(batch));
    await load("products", products, (batch) => Product.objects.using(db).bulkCreate(batch));
    await load("inventory", inventory, (batch) => Inventory.objects.using(db).bulkCreate(batch));
    await load("orders", orders, (batch) => Order.objects.using(db).bulkCreate(batch));
    await load("lines", lines, (batch) => OrderLine.objects.using(db).bulkCreate(batch));
  });

  const counts = {
    categories: categories.length,
    customers: customers.length,
    products: products.length,
    inventory: inventory.length,
    orders: orders.length,
    orderLines: lines.length,
  };

  return { skipped: false, counts, durationMs: performance.now() - started };
}

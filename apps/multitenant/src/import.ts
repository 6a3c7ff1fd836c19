/**
 * Imports the Sakila CSV files, keeping the dataset's ids. Rentals and
 * payments have no store column in the dataset, so the import derives one.
 * A rental belongs to the store of the copy it lent. A payment belongs to
 * the store of its rental, or to the staff member's store without a rental.
 */
import { Migrator, QuerySet, introspect, loadMigrations, sql, type Database, type ModelClass } from "@chakra-orm/core";
import { readCsv, readersOf } from "./csv.js";
import {
  Address,
  City,
  Country,
  Customer,
  Film,
  Inventory,
  Language,
  MODELS,
  Payment,
  RATINGS,
  Rental,
  Staff,
  Store,
} from "./models.js";
import { ProgressBar } from "./progress.js";

/** Rows per bulkCreate call; small enough for the progress bar to move. */
const BATCH_SIZE = 500;

export interface ImportOptions {
  /** The folder that contains the CSV files. */
  csvDir: string;
  /** The app's migrations folder (apps/multitenant/migrations). */
  migrationsDir: string;
  /**
   * "skip" leaves a database that already contains stores untouched, and
   * "recreate" rolls back every migration (dropping the app's tables),
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

type Row = Record<string, unknown>;

function readTable(csvDir: string, name: string, columns: readonly string[], convert: (row: ReturnType<typeof readersOf>[number]) => Row): Row[] {
  return readersOf(readCsv(csvDir, name, columns)).map(convert);
}

function rating(value: string | null): (typeof RATINGS)[number] | null {
  if (value === null) {
    return null;
  }

  if (!(RATINGS as readonly string[]).includes(value)) {
    throw new Error(`film.csv: rating "${value}" is not one of ${RATINGS.join(", ")}.`);
  }

  return value as (typeof RATINGS)[number];
}

/** Reads every table and derives the stores of rentals and payments. */
export function readDataset(csvDir: string): { model: ModelClass; label: string; rows: Row[] }[] {
  const countries = readTable(csvDir, "country", ["country_id", "country"], (row) => ({
    id: row.integer("country_id"),
    country: row.text("country"),
  }));
  const cities = readTable(csvDir, "city", ["city_id", "city", "country_id"], (row) => ({
    id: row.integer("city_id"),
    city: row.text("city"),
    countryId: row.integer("country_id"),
  }));
  const addresses = readTable(csvDir, "address", ["address_id", "address", "city_id"], (row) => ({
    id: row.integer("address_id"),
    address: row.text("address"),
    address2: row.optionalText("address2"),
    district: row.text("district"),
    cityId: row.integer("city_id"),
    postalCode: row.optionalText("postal_code"),
    phone: row.text("phone"),
  }));
  const stores = readTable(csvDir, "store", ["store_id", "manager_staff_id", "address_id"], (row) => ({
    id: row.integer("store_id"),
    managerStaffId: row.integer("manager_staff_id"),
    addressId: row.integer("address_id"),
  }));
  const languages = readTable(csvDir, "language", ["language_id", "name"], (row) => ({
    id: row.integer("language_id"),
    name: row.text("name"),
  }));
  const films = readTable(csvDir, "film", ["film_id", "title", "rental_rate"], (row) => ({
    id: row.integer("film_id"),
    title: row.text("title"),
    description: row.optionalText("description"),
    releaseYear: row.optionalInteger("release_year"),
    languageId: row.integer("language_id"),
    rentalDuration: row.integer("rental_duration"),
    rentalRate: row.text("rental_rate"),
    length: row.optionalInteger("length"),
    replacementCost: row.text("replacement_cost"),
    rating: rating(row.optionalText("rating")),
    specialFeatures: row.optionalText("special_features"),
  }));
  const staff = readTable(csvDir, "staff", ["staff_id", "store_id"], (row) => ({
    id: row.integer("staff_id"),
    firstName: row.text("first_name"),
    lastName: row.text("last_name"),
    addressId: row.integer("address_id"),
    email: row.optionalText("email"),
    storeId: row.integer("store_id"),
    active: row.integer("active") === 1,
    username: row.text("username"),
  }));
  const customers = readTable(csvDir, "customer", ["customer_id", "store_id", "create_date"], (row) => ({
    id: row.integer("customer_id"),
    storeId: row.integer("store_id"),
    firstName: row.text("first_name"),
    lastName: row.text("last_name"),
    email: row.optionalText("email"),
    addressId: row.integer("address_id"),
    active: row.integer("active") === 1,
    createdAt: row.timestamp("create_date"),
    customFields: {},
  }));
  const inventory = readTable(csvDir, "inventory", ["inventory_id", "film_id", "store_id"], (row) => ({
    id: row.integer("inventory_id"),
    filmId: row.integer("film_id"),
    storeId: row.integer("store_id"),
  }));

  const storeOfCopy = new Map(inventory.map((row) => [row.id as number, row.storeId as number]));
  const rentals = readTable(csvDir, "rental", ["rental_id", "inventory_id", "customer_id", "staff_id"], (row) => ({
    id: row.integer("rental_id"),
    rentalDate: row.timestamp("rental_date"),
    inventoryId: row.integer("inventory_id"),
    customerId: row.integer("customer_id"),
    returnDate: row.optionalTimestamp("return_date"),
    staffId: row.integer("staff_id"),
    storeId: storeOfCopy.get(row.integer("inventory_id")),
  }));

  const storeOfRental = new Map(rentals.map((row) => [row.id as number, row.storeId as number]));
  const storeOfStaff = new Map(staff.map((row) => [row.id as number, row.storeId as number]));
  const payments = readTable(csvDir, "payment", ["payment_id", "customer_id", "staff_id", "amount"], (row) => {
    const rentalId = row.optionalInteger("rental_id");

    return {
      id: row.integer("payment_id"),
      customerId: row.integer("customer_id"),
      staffId: row.integer("staff_id"),
      rentalId,
      amount: row.text("amount"),
      paymentDate: row.timestamp("payment_date"),
      storeId: rentalId === null ? storeOfStaff.get(row.integer("staff_id")) : storeOfRental.get(rentalId),
    };
  });

  for (const [label, rows] of [["rental", rentals], ["payment", payments]] as const) {
    const orphan = rows.find((row) => row.storeId === undefined);

    if (orphan) {
      throw new Error(`${label}.csv: row ${String(orphan.id)} refers to a copy, rental or staff member that is not in the data.`);
    }
  }

  return [
    { model: Country, label: "country", rows: countries },
    { model: City, label: "city", rows: cities },
    { model: Address, label: "address", rows: addresses },
    { model: Store, label: "store", rows: stores },
    { model: Language, label: "language", rows: languages },
    { model: Film, label: "film", rows: films },
    { model: Staff, label: "staff", rows: staff },
    { model: Customer, label: "customer", rows: customers },
    { model: Inventory, label: "inventory", rows: inventory },
    { model: Rental, label: "rental", rows: rentals },
    { model: Payment, label: "payment", rows: payments },
  ];
}

/**
 * Moves PostgreSQL's id sequences past the imported ids, so the next
 * insert without an id does not collide. SQLite and MySQL do this themselves.
 */
async function resetSequences(db: Database): Promise<void> {
  if (db.dialect.name !== "postgres") {
    return;
  }

  for (const model of MODELS) {
    const { table, pk } = model.$meta;
    await db.raw(
      sql`select setval(pg_get_serial_sequence(${table}, ${pk.column}), coalesce((select max(${sql.identifier(pk.column)}) from ${sql.identifier(table)}), 0) + 1, false)`,
    );
  }
}

/**
 * Applies the app's pending migrations. "recreate" first rolls back every
 * applied one, which drops the tables with their rows (and, on PostgreSQL,
 * their row-level security policies).
 */
export async function migrateDatabase(db: Database, migrationsDir: string, mode: ImportOptions["mode"]): Promise<void> {
  const migrator = new Migrator(db, await loadMigrations(migrationsDir));
  const recorded = (await migrator.status()).some((item) => item.applied);

  if (!recorded && (await introspect(db)).has(Store.$meta.table)) {
    throw new Error(
      "The database has the app's tables but no applied migrations: db.createTables() built it. " +
        'Record the initial migration without running it ("pnpm migrate --fake 0001_initial" in apps/multitenant, with the same DATABASE_URL), ' +
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
 * one transaction, so a failed import leaves no partial data behind. Writes
 * go through the unscoped managers, because the import acts for every store.
 */
export async function importDataset(db: Database, options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const output = options.progress === undefined ? process.stderr : options.progress;

  await migrateDatabase(db, options.migrationsDir, options.mode);

  if (await Store.objects.using(db).exists()) {
    return { skipped: true, counts: {}, durationMs: performance.now() - started };
  }

  // Read and convert everything first, so a bad CSV row fails before any write.
  const tables = readDataset(options.csvDir);
  const counts: Record<string, number> = {};

  await db.transaction(async () => {
    for (const { model, label, rows } of tables) {
      const bar = output ? new ProgressBar(output, label, rows.length) : undefined;

      for (let start = 0; start < rows.length; start += BATCH_SIZE) {
        const batch = rows.slice(start, start + BATCH_SIZE);
        await new QuerySet(model, db).bulkCreate(batch as never[]);
        bar?.advance(batch.length);
      }

      bar?.finish();
      counts[label] = rows.length;
    }

    await resetSequences(db);
  });

  return { skipped: false, counts, durationMs: performance.now() - started };
}

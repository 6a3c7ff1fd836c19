/**
 * Entry point of `pnpm multitenant`: imports the Sakila dataset, prints
 * the counts of each store (tenant), then serves the JSON API on 127.0.0.1.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { withContext, type Database } from "@chakra-orm/core";
import { openDatabase, parseDatabaseUrl, redactUrl, type DatabaseTarget } from "./connect.js";
import { importDataset } from "./import.js";
import { Customer, Inventory, Rental, Store } from "./models.js";
import { topFilms } from "./reports.js";
import { enableRowLevelSecurity } from "./rls.js";
import { TENANT_HEADER, buildServer } from "./server.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const DEFAULT_DB_FILE = path.join(APP_DIR, "var", "multitenant.db");
const HOST = "127.0.0.1";
const DEFAULT_PORT = 3000;
const DEFAULT_RLS_ROLE = "chakra_multitenant_app";

const HELP = `Usage: pnpm multitenant [-- options]

Imports the Sakila dataset, prints what each store sees, then serves the API.
Every request except GET / names its store in the ${TENANT_HEADER} header.

Options:
  --no-server, --once  print the report and exit instead of starting the server
  --reimport           roll back the migrations (dropping the app's tables),
                       migrate again and import the dataset again
                       (by default an existing import is kept)
  --rls                PostgreSQL only: add row-level security policies and
                       serve as the role RLS_ROLE, which the policies apply to
  -h, --help           show this help

Environment:
  DATABASE_URL  SQLite file path (default var/multitenant.db), postgres://... or mysql://...
  PORT          HTTP port on ${HOST} (default ${DEFAULT_PORT}; 0 picks a free one)
  RLS_ROLE      role created and used by --rls (default ${DEFAULT_RLS_ROLE})
  CHAKRA_LOG    "queries" prints every SQL statement to stderr
`;

function parseOptions() {
  const { values } = parseArgs({
    // pnpm passes a literal "--" through when the command is `pnpm multitenant -- --once`.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      "no-server": { type: "boolean", default: false },
      once: { type: "boolean", default: false },
      reimport: { type: "boolean", default: false },
      rls: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  return {
    serve: !values["no-server"] && !values.once,
    reimport: values.reimport,
    rls: values.rls,
    help: values.help,
  };
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === "") {
    return DEFAULT_PORT;
  }

  const port = Number(text);

  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT "${text}" is invalid. Use a whole number from 0 to 65535.`);
  }

  return port;
}

/** Prints each store's counts and most rented films, read through the tenant queries. */
async function printReport(db: Database): Promise<void> {
  for (const store of await Store.objects.orderBy("id").all()) {
    await withContext({ tenant: store.id }, async () => {
      const customers = await Customer.forTenant().count();
      const copies = await Inventory.forTenant().count();
      const open = await Rental.forTenant().filter({ returnDate: null }).count();
      console.log(`\nStore ${store.id}: ${customers} customers, ${copies} copies, ${open} rentals still out`);

      for (const film of await topFilms(db, 3)) {
        console.log(`  ${String(film.rentals).padStart(3)} rentals  ${film.title}`);
      }
    });
  }
}

/** Returns the URL with its user replaced by `role` and no password. */
function urlForRole(url: string, role: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = "";

  return parsed.toString();
}

async function main(): Promise<void> {
  const options = parseOptions();

  if (options.help) {
    process.stdout.write(HELP);

    return;
  }

  const port = parsePort(process.env.PORT);
  const target = parseDatabaseUrl(process.env.DATABASE_URL, DEFAULT_DB_FILE, APP_DIR);

  if (options.rls && target.dialect !== "postgres") {
    throw new Error(`--rls needs a postgres:// DATABASE_URL; this one is ${target.dialect}.`);
  }

  console.log(`Database: ${target.dialect} ${target.dialect === "sqlite" ? target.location : redactUrl(target.location)}`);
  let db = await openDatabase(target);

  try {
    const imported = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: options.reimport ? "recreate" : "skip" });

    if (imported.skipped) {
      console.log("Import skipped: the database already contains the dataset (pass --reimport to load it again).");
    } else {
      const counts = Object.entries(imported.counts).map(([table, count]) => `${count} ${table}`).join(", ");
      console.log(`Imported ${counts} in ${imported.durationMs.toFixed(0)} ms.`);
    }

    await printReport(db);

    if (options.rls) {
      const role = process.env.RLS_ROLE || DEFAULT_RLS_ROLE;
      await enableRowLevelSecurity(db, role);
      await db.close();
      const roleTarget: DatabaseTarget = { dialect: "postgres", location: urlForRole(target.location, role) };
      db = await openDatabase(roleTarget);
      console.log(`\nRow-level security on: serving as role ${role}.`);
    }
  } catch (error) {
    await db.close();
    throw error;
  }

  if (!options.serve) {
    await db.close();

    return;
  }

  const app = buildServer({ db, logger: { level: "info" }, rowLevelSecurity: options.rls });
  const stop = async (signal: string) => {
    app.log.info(`${signal} received, stopping`);
    await app.close();
    await db.close();
  };

  process.once("SIGINT", (signal) => void stop(signal));
  process.once("SIGTERM", (signal) => void stop(signal));
  const address = await app.listen({ host: HOST, port });
  console.log(`\nRental API listening on ${address}. Try: curl -H '${TENANT_HEADER}: 1' ${address}/customers. Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

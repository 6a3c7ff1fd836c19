/**
 * Entry point of `pnpm ecommerce`: imports the Northwind dataset, prints a
 * short sales report, then serves the JSON API on 127.0.0.1.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Database } from "@chakra-orm/core";
import { openDatabase, parseDatabaseUrl, redactUrl } from "./connect.js";
import { importDataset } from "./import.js";
import { DEFAULT_MAX_ATTEMPTS, LOCKING_STRATEGIES, type LockingStrategy } from "./orders.js";
import { bestSellers, revenueByMonth } from "./reports.js";
import { buildServer } from "./server.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const DEFAULT_DB_FILE = path.join(APP_DIR, "var", "ecommerce.db");
const HOST = "127.0.0.1";
const DEFAULT_PORT = 3001;

const HELP = `Usage: pnpm ecommerce [-- options]

Imports the Northwind dataset, prints a sales report, then serves the API.

Options:
  --no-server, --once  print the report and exit instead of starting the server
  --reimport           roll back the migrations (dropping the shop's tables),
                       migrate again and import the dataset again
                       (by default an existing import is kept)
  -h, --help           show this help

Environment:
  DATABASE_URL         SQLite file path (default var/ecommerce.db), postgres://... or mysql://...
  PORT                 HTTP port on ${HOST} (default ${DEFAULT_PORT}; 0 picks a free one)
  ORDER_LOCKING        "pessimistic" (default: lock stock rows) or "optimistic" (version check and retry)
  ORDER_MAX_ATTEMPTS   attempts of an optimistic order before it is rejected (default ${DEFAULT_MAX_ATTEMPTS})
  CHAKRA_LOG           "queries" prints every SQL statement to stderr
`;

function parseOptions() {
  const { values } = parseArgs({
    // pnpm passes a literal "--" through when the command is `pnpm ecommerce -- --once`.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      "no-server": { type: "boolean", default: false },
      once: { type: "boolean", default: false },
      reimport: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  return { serve: !values["no-server"] && !values.once, reimport: values.reimport, help: values.help };
}

function parseWholeNumber(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || text === "") {
    return fallback;
  }

  const value = Number(text);

  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} "${text}" is invalid. Use a whole number from ${min} to ${max}.`);
  }

  return value;
}

function parseLocking(text: string | undefined): LockingStrategy {
  if (text === undefined || text === "") {
    return "pessimistic";
  }

  if (!(LOCKING_STRATEGIES as readonly string[]).includes(text)) {
    throw new Error(`ORDER_LOCKING "${text}" is invalid. Use one of ${LOCKING_STRATEGIES.join(", ")}.`);
  }

  return text as LockingStrategy;
}

/** Prints revenue for 1997 and the best seller of each category to stdout. */
async function printReport(): Promise<void> {
  const started = performance.now();
  const months = await revenueByMonth(1997);
  console.log(`\nRevenue by month, 1997 (${(performance.now() - started).toFixed(1)} ms)`);

  for (const month of months) {
    console.log(`  ${month.month}  ${month.revenue.padStart(10)}  ${String(month.orders).padStart(3)} orders`);
  }

  const rankedStart = performance.now();
  const categories = await bestSellers(1);
  console.log(`\nBest seller per category by revenue (${(performance.now() - rankedStart).toFixed(1)} ms)`);

  for (const category of categories) {
    for (const product of category.products) {
      console.log(`  ${category.categoryName.padEnd(15)} ${product.name.padEnd(32)} ${product.revenue.padStart(10)}`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions();

  if (options.help) {
    process.stdout.write(HELP);

    return;
  }

  const port = parseWholeNumber("PORT", process.env.PORT, DEFAULT_PORT, 0, 65535);
  const locking = parseLocking(process.env.ORDER_LOCKING);
  const maxOrderAttempts = parseWholeNumber("ORDER_MAX_ATTEMPTS", process.env.ORDER_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, 1000);
  const target = parseDatabaseUrl(process.env.DATABASE_URL, DEFAULT_DB_FILE, APP_DIR);
  console.log(`Database: ${target.dialect} ${target.dialect === "sqlite" ? target.location : redactUrl(target.location)}`);
  const db: Database = await openDatabase(target);

  try {
    const imported = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: options.reimport ? "recreate" : "skip" });

    if (imported.skipped) {
      console.log("Import skipped: the database already contains the dataset (pass --reimport to load it again).");
    } else {
      const counts = Object.entries(imported.counts).map(([table, count]) => `${count} ${table}`).join(", ");
      console.log(`Imported ${counts} in ${imported.durationMs.toFixed(0)} ms.`);
    }

    await printReport();
  } catch (error) {
    await db.close();
    throw error;
  }

  if (!options.serve) {
    await db.close();

    return;
  }

  const app = buildServer({ db, locking, maxOrderAttempts, logger: { level: "info" } });
  const stop = async (signal: string) => {
    app.log.info(`${signal} received, stopping`);
    await app.close();
    await db.close();
  };

  process.once("SIGINT", (signal) => void stop(signal));
  process.once("SIGTERM", (signal) => void stop(signal));
  const address = await app.listen({ host: HOST, port });
  console.log(`\nShop API listening on ${address} with ${locking} order locking (try ${address}/products). Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

/**
 * Runs many small queries per dialect and prints heap, listeners, active
 * resources and prepared statements before and after.
 *
 *   pnpm --filter @chakra-orm/tests memory [--queries 1000000]
 *
 * Default 50,000 queries per dialect. CHAKRA_DIALECTS picks the dialects.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Database, sql, type Dialect } from "@chakra-orm/core";
import { runMemoryProbe } from "../src/memory-probe";
import { Counter } from "../src/reliability-models";

const { values: args } = parseArgs({ options: { queries: { type: "string", default: "50000" } } });
const QUERIES = Number(args.queries);
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";
const SCRATCH = "chakra_memory";

async function serverDialect(name: string, database: string): Promise<Dialect> {
  if (name === "postgres") {
    return (await import("@chakra-orm/postgres")).postgres(`${PG}/${database}`);
  }

  return (await import("@chakra-orm/mysql")).mysql(`${MY}/${database}`);
}

async function scratch(name: string, create: boolean): Promise<void> {
  const admin = new Database({ dialect: await serverDialect(name, "test"), name: `${name}-memory-admin` });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(SCRATCH)}`);

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(SCRATCH)}`);
    }
  } finally {
    await admin.close();
  }
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) {
    throw new Error("Run with node --expose-gc, as the package script does, so heap figures are taken after a full GC.");
  }

  for (const name of (process.env.CHAKRA_DIALECTS ?? "sqlite,postgres,mysql").split(",")) {
    let folder: string | undefined;
    let dialect: Dialect;

    if (name === "sqlite") {
      folder = mkdtempSync(path.join(tmpdir(), "chakra-memory-"));
      dialect = (await import("@chakra-orm/sqlite")).sqlite({ filename: path.join(folder, "memory.db") });
    } else {
      await scratch(name, true);
      dialect = await serverDialect(name, SCRATCH);
    }

    const db = new Database({ dialect, name: `${name}-memory`, models: [Counter] });

    try {
      await db.createTables();
      const report = await runMemoryProbe(db, QUERIES);
      process.stdout.write(`${name}: ${JSON.stringify(report)}\n`);
    } finally {
      await db.close();

      if (folder) {
        rmSync(folder, { recursive: true, force: true });
      } else {
        await scratch(name, false);
      }
    }
  }
}

await main();

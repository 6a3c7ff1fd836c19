/**
 * Load test of the blog's HTTP API on each dialect: imports the dataset into
 * a scratch database, serves it on 127.0.0.1 and sends a fixed number of
 * requests with autocannon. Prints one Markdown table row per scenario and
 * exits with status 1 when any request failed or got a non-2xx answer.
 *
 *   pnpm --filter @chakra-orm/tests load [--requests 2000] [--connections 10]
 *
 * CHAKRA_DIALECTS picks the dialects; CHAKRA_PG_URL and CHAKRA_MYSQL_URL
 * point at the servers (default: the local ones on 5432 and 3306). The
 * scratch database `chakra_load` is dropped and created on each server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { sql } from "@chakra-orm/core";
import { openDatabase, type DatabaseTarget } from "../../apps/blog/src/connect";
import { importDataset } from "../../apps/blog/src/import";
import { buildServer } from "../../apps/blog/src/server";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    connections: { type: "string", default: "10" },
  },
});
const REQUESTS = Number(args.requests);
const CONNECTIONS = Number(args.connections);
const CSV_DIR = path.join(import.meta.dirname, "../../apps/blog/data/csv");
const MIGRATIONS_DIR = path.join(import.meta.dirname, "../../apps/blog/migrations");
const SCRATCH = "chakra_load";
const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

interface Scenario {
  name: string;
  request: autocannon.Request;
}

const SCENARIOS: Scenario[] = [
  { name: "read GET /posts?page=2", request: { method: "GET", path: "/posts?page=2&pageSize=20" } },
  {
    name: "write POST /posts",
    request: {
      method: "POST",
      path: "/posts",
      headers: { "content-type": "application/json" },
      setupRequest: (request) => {
        const unique = Math.random().toString(36).slice(2, 10);

        return { ...request, body: JSON.stringify({ title: `Load ${unique}`, body: "Written by the load test.", tags: ["load-test", `t-${unique.slice(0, 3)}`] }) };
      },
    },
  },
];

async function scratch(name: string, adminUrl: string, create: boolean): Promise<void> {
  const admin = await openDatabase({ dialect: name as DatabaseTarget["dialect"], location: adminUrl });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(SCRATCH)}`);

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(SCRATCH)}`);
    }
  } finally {
    await admin.close();
  }
}

async function runDialect(name: string): Promise<{ rows: string[]; failed: boolean }> {
  let folder: string | undefined;
  let target: DatabaseTarget;

  if (name === "sqlite") {
    folder = mkdtempSync(path.join(tmpdir(), "chakra-load-"));
    target = { dialect: "sqlite", location: path.join(folder, "blog.db") };
  } else {
    const base = name === "postgres" ? PG : MY;
    await scratch(name, `${base}/test`, true);
    target = { dialect: name as DatabaseTarget["dialect"], location: `${base}/${SCRATCH}` };
  }

  const db = await openDatabase(target);
  const rows: string[] = [];
  let failed = false;

  try {
    await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: "recreate", progress: null });
    const app = buildServer({ db, logger: process.env.CHAKRA_LOAD_LOG === "1" ? { level: "error" } : false });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });

    try {
      for (const scenario of SCENARIOS) {
        const result = await autocannon({ url, amount: REQUESTS, connections: CONNECTIONS, requests: [scenario.request], timeout: 30 });
        const bad = result.errors + result.timeouts + result.non2xx;
        failed ||= bad > 0;
        const throughput = result.requests.total / (result.duration || 1);
        rows.push(
          `| ${name} | ${scenario.name} | ${result.requests.total} | ${bad} | ${throughput.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} |`,
        );
      }
    } finally {
      await app.close();
    }
  } finally {
    await db.close();

    if (folder) {
      rmSync(folder, { recursive: true, force: true });
    } else {
      await scratch(name, `${name === "postgres" ? PG : MY}/test`, false);
    }
  }

  return { rows, failed };
}

async function main(): Promise<void> {
  const dialects = (process.env.CHAKRA_DIALECTS ?? "sqlite,postgres,mysql").split(",").map((item) => item.trim());
  const lines = [
    `${REQUESTS} requests per scenario, ${CONNECTIONS} connections, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}`,
    "",
    "| dialect | scenario | requests | errors + non-2xx | requests/s | p50 ms | p99 ms |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  let failed = false;

  for (const name of dialects) {
    const result = await runDialect(name);
    lines.push(...result.rows);
    failed ||= result.failed;
  }

  process.stdout.write(`${lines.join("\n")}\n`);
  process.exitCode = failed ? 1 : 0;
}

await main();

/**
 * Runs many small queries on one database and reports what a leak would
 * grow: heap after a full GC, `query` listeners, active handles and
 * requests, and prepared statements on the server.
 */
import { type Database, sql } from "@chakra-orm/core";
import { Counter } from "./reliability-models";

export interface MemorySnapshot {
  heapUsedMb: number;
  listeners: number;
  activeResources: number;
  /** Prepared statements of one pooled PostgreSQL session, or 0 elsewhere. */
  preparedStatements: number;
}

export interface MemoryReport {
  queries: number;
  seconds: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
}

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;

  for (let round = 0; round < 3; round += 1) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function preparedStatements(db: Database): Promise<number> {
  if (db.dialect.name === "postgres") {
    const rows = await db.raw<{ count: string }>(sql`select count(*) as count from pg_prepared_statements`);

    return Number(rows[0]!.count);
  }

  // NOTE: MySQL counts prepared statements per server, not per session, and
  // other clients share the server, so only mysql2's 256-entry cache bounds them.
  return 0;
}

async function snapshot(db: Database): Promise<MemorySnapshot> {
  await collect();

  return {
    heapUsedMb: Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10,
    listeners: db.listenerCount("query"),
    activeResources: process.getActiveResourcesInfo().length,
    preparedStatements: await preparedStatements(db),
  };
}

/**
 * Runs `queries` statements (a filtered read, a count through the sql tag
 * and a transaction, in turn) with 10 in flight, after a warm-up of 2,000.
 */
export async function runMemoryProbe(db: Database, queries: number): Promise<MemoryReport> {
  const counter = await Counter.objects.using(db).create({ name: `probe-${Date.now()}` });
  const one = async (index: number) => {
    const step = index % 3;

    if (step === 0) {
      await Counter.objects.using(db).filter({ id: counter.id, value__gte: index % 7 }).first();
    } else if (step === 1) {
      await db.sql`select ${index} as n`;
    } else {
      await db.transaction(() => Counter.objects.using(db).filter({ id: counter.id }).count());
    }
  };
  const run = async (count: number) => {
    const lanes = 10;

    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let index = lane; index < count; index += lanes) {
          await one(index);
        }
      }),
    );
  };

  await run(2_000);
  const before = await snapshot(db);
  const started = Date.now();
  await run(queries);
  const seconds = (Date.now() - started) / 1000;
  const after = await snapshot(db);

  return { queries, seconds, before, after };
}

/**
 * Injected faults on the shared servers: a connection killed in the middle
 * of a transaction, statement timeouts, deadlocks and pool exhaustion. They
 * only ever kill or block connections this file opened.
 */
import {
  ConnectionError,
  Database,
  DeadlockError,
  F,
  QueryTimeoutError,
  SerializationError,
  retry,
  sql,
  type Dialect,
} from "@chakra-orm/core";
import { eachDialect, type TestDialect } from "../../src/dialects";
import { Counter } from "../../src/reliability-models";
import { captureQueries, within } from "../../src/reliability-helpers";

const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

/** `test` on the servers, and a skip that names the reason on SQLite. */
function onServer(dialect: TestDialect, reason: string): jest.It {
  if (dialect.name !== "sqlite") {
    return test;
  }

  const skip = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) =>
    test.skip(`${name} (sqlite: ${reason})`, fn, timeout)) as unknown as jest.It;

  return skip;
}

/** Creates a dialect on the server's scratch database `test`, with extra pool options. */
async function serverDialect(name: "postgres" | "mysql", options: Record<string, unknown>): Promise<Dialect> {
  if (name === "postgres") {
    const { postgres } = await import("@chakra-orm/postgres");

    return postgres({ connectionString: `${PG}/test`, ...options });
  }

  const { mysql } = await import("@chakra-orm/mysql");

  return mysql({ uri: `${MY}/test`, ...options });
}

/** Returns the server's id of the session that runs the current transaction. */
async function sessionId(db: Database): Promise<number> {
  const rows = db.dialect.name === "postgres"
    ? await db.sql<{ id: number }>`select pg_backend_pid() as id`
    : await db.sql<{ id: number }>`select connection_id() as id`;

  return Number(rows[0]!.id);
}

/** Ends session `id` from another pooled connection of `killer`. */
async function killSession(killer: Database, id: number): Promise<void> {
  if (killer.dialect.name === "postgres") {
    await killer.sql`select pg_terminate_backend(${id})`;
  } else {
    await killer.raw(sql`kill ${sql.raw(String(Math.trunc(id)))}`);
  }
}

/** Returns a statement that runs for seconds unless a timeout stops it. */
function slowStatement(name: string) {
  return name === "postgres"
    ? sql`select pg_sleep(3)`
    : sql`select count(*) from information_schema.columns a, information_schema.columns b, information_schema.columns c`;
}

/** Resolves once `count` callers have arrived, so transactions interleave. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });

  return async () => {
    arrived += 1;

    if (arrived >= count) {
      open();
    }

    await opened;
  };
}

eachDialect("reliability faults", ({ dialect, db }) => {
  const serverTest = onServer(dialect, "no server connection to kill or time out");

  beforeEach(async () => {
    await Counter.objects.delete();
  });

  serverTest("killed connection rolls back and heals", async () => {
    // A second Database on the same pool runs the kill from another connection.
    const killer = new Database({ dialect: db().dialect, name: `${dialect.name}-killer` });
    const outcome = await captureQueries(db(), () =>
      db().transaction(async () => {
        await Counter.objects.create({ name: "doomed", value: 1 });
        await killSession(killer, await sessionId(db()));
        await Counter.objects.create({ name: "after-kill", value: 2 });
      }),
    );

    expect(outcome.error).toBeInstanceOf(ConnectionError);
    expect(String((outcome.error as Error).message)).toMatch(/connection/i);
    expect(await Counter.objects.count()).toBe(0);

    // Every pooled connection still works; the killed one was discarded.
    const counts = await Promise.all(Array.from({ length: 12 }, () => Counter.objects.count()));
    expect(counts).toEqual(Array(12).fill(0));
    await Counter.objects.create({ name: "healed" });
    expect(await Counter.objects.flatValues("name")).toEqual(["healed"]);
  });

  serverTest("statement timeout raises and connection is reused", async () => {
    const timed = new Database({
      dialect: await serverDialect(dialect.name as "postgres" | "mysql", dialect.name === "postgres" ? { max: 1, statementTimeout: 200 } : { connectionLimit: 1, statementTimeout: 200 }),
      name: `${dialect.name}-timeout`,
    });

    try {
      const started = Date.now();
      await expect(timed.raw(slowStatement(dialect.name))).rejects.toBeInstanceOf(QueryTimeoutError);
      expect(Date.now() - started).toBeLessThan(2500);

      const before = await sessionId(timed);
      const rows = await timed.sql<{ one: number }>`select 1 as one`;
      expect(Number(rows[0]!.one)).toBe(1);
      expect(await sessionId(timed)).toBe(before);
    } finally {
      await timed.close();
    }
  });

  serverTest("deadlock maps to DeadlockError", async () => {
    const [a, b] = await Counter.objects.bulkCreate([{ name: "a" }, { name: "b" }]);
    const meet = barrier(2);
    const lockInOrder = (first: number, second: number) =>
      db().transaction(async () => {
        await Counter.objects.filter({ id: first }).update({ value: F("value").add(1) });
        await meet();
        await Counter.objects.filter({ id: second }).update({ value: F("value").add(1) });
      });

    const results = await within(15_000, "deadlocked transactions", () =>
      Promise.allSettled([lockInOrder(a!.id, b!.id), lockInOrder(b!.id, a!.id)]),
    );
    const failures = results.filter((result) => result.status === "rejected").map((result) => (result as PromiseRejectedResult).reason);

    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(DeadlockError);
    expect((failures[0] as DeadlockError).message).toMatch(/deadlock/i);
    // The survivor committed both increments; the victim none.
    expect(await Counter.objects.orderBy("name").flatValues("value")).toEqual([1, 1]);
  });

  serverTest("retry helper completes deadlocked transactions", async () => {
    const [a, b] = await Counter.objects.bulkCreate([{ name: "a" }, { name: "b" }]);
    const meet = barrier(2);
    let retries = 0;
    const lockInOrder = (first: number, second: number) =>
      retry(
        (attempt) =>
          db().transaction(async () => {
            await Counter.objects.filter({ id: first }).update({ value: F("value").add(1) });

            if (attempt === 1) {
              await meet();
            }

            await Counter.objects.filter({ id: second }).update({ value: F("value").add(1) });
          }),
        { attempts: 5, on: [DeadlockError, SerializationError], backoffMs: 10, onRetry: () => (retries += 1) },
      );

    await within(20_000, "retried transactions", () => Promise.all([lockInOrder(a!.id, b!.id), lockInOrder(b!.id, a!.id)]));

    expect(retries).toBeGreaterThanOrEqual(1);
    expect(await Counter.objects.orderBy("name").flatValues("value")).toEqual([2, 2]);
  });

  serverTest("pool exhaustion times out with pool state", async () => {
    const small = new Database({
      dialect: await serverDialect(
        dialect.name as "postgres" | "mysql",
        dialect.name === "postgres" ? { max: 2, connectionTimeoutMillis: 300 } : { connectionLimit: 2, acquireTimeout: 300 },
      ),
      name: `${dialect.name}-small-pool`,
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holders = [0, 1].map(() => small.transaction(async () => {
      await small.sql`select 1 as held`;
      await gate;
    }));

    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const error = await within(5_000, "acquire on a full pool", () => small.sql`select 1 as one`.then(() => undefined, (caught: unknown) => caught));

      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((error as Error).message).toMatch(/2/);
      expect((error as Error).message).toMatch(/waiting/);
    } finally {
      release();
      await Promise.all(holders);
    }

    const rows = await small.sql<{ one: number }>`select 1 as one`;
    expect(Number(rows[0]!.one)).toBe(1);
    await small.close();
  });
});

/**
 * Server restarts and statement logs, on private PostgreSQL and MariaDB
 * servers that this file starts on ports 55432 and 33306. Opt-in with
 * CHAKRA_FAULT_TESTS=1, because each server takes seconds to create.
 */
import { inspect } from "node:util";
import { ChakraError, ConnectionError, Database, sql, type Dialect } from "@chakra-orm/core";
import { FAULT_TESTS, captureQueries, sleep, within } from "../../src/reliability-helpers";
import { privateServersUnavailable, startPrivateMariadb, startPrivatePostgres, type PrivateServer } from "../../src/private-servers";
import { Counter } from "../../src/reliability-models";

const PASSWORD = "Pw-9f3c1e7d";
const unavailable = FAULT_TESTS ? privateServersUnavailable() : "set CHAKRA_FAULT_TESTS=1 to run";

interface Target {
  name: "postgres" | "mysql";
  start(): Promise<PrivateServer>;
  dialect(url: string): Promise<Dialect>;
  slow: ReturnType<typeof sql>;
}

const TARGETS: Target[] = [
  {
    name: "postgres",
    start: () => startPrivatePostgres(55432, PASSWORD),
    dialect: async (url) => (await import("@chakra-orm/postgres")).postgres({ connectionString: url, max: 4, onError: () => undefined }),
    slow: sql`select pg_sleep(5)`,
  },
  {
    name: "mysql",
    start: () => startPrivateMariadb(33306),
    dialect: async (url) => (await import("@chakra-orm/mysql")).mysql({ uri: url, connectionLimit: 4 }),
    slow: sql`select sleep(5)`,
  },
];

for (const target of TARGETS) {
  const describeFault = unavailable === undefined ? describe : describe.skip;

  if (unavailable !== undefined) {
    test.skip(`${target.name} private server faults (${unavailable})`, () => undefined);
  }

  describeFault(`${target.name} private server faults`, () => {
    let server: PrivateServer;
    let db: Database;

    beforeAll(async () => {
      server = await target.start();
      db = new Database({ dialect: await target.dialect(server.url), name: `${target.name}-private`, models: [Counter] });
      db.setDefault();
      await db.createTables();
    }, 60_000);

    afterAll(async () => {
      await db?.close();
      await server?.destroy();
    }, 60_000);

    test("restart fails in-flight queries, later ones succeed", async () => {
      await Counter.objects.create({ name: "before" });
      const inFlight = Array.from({ length: 4 }, () => db.raw(target.slow).then(() => undefined, (error: unknown) => error));
      await sleep(300);
      await server.restart();
      const errors = await within(15_000, "in-flight queries", () => Promise.all(inFlight));

      for (const error of errors) {
        expect(error).toBeInstanceOf(ConnectionError);
      }

      // Idle connections broke too; the pool must replace them on demand.
      const counts: number[] = [];

      for (let index = 0; index < 10; index += 1) {
        counts.push(await within(10_000, "query after restart", () => Counter.objects.count()));
      }

      expect(counts).toEqual(Array(10).fill(1));
      await Counter.objects.create({ name: "after" });
      expect(await Counter.objects.orderBy("name").flatValues("name")).toEqual(["after", "before"]);
    }, 60_000);

    test("queries fail fast while the server is down", async () => {
      await server.stop();

      try {
        const error = await within(15_000, "query on a stopped server", () => Counter.objects.count().then(() => undefined, (caught: unknown) => caught));
        expect(error).toBeInstanceOf(ConnectionError);
      } finally {
        await server.start();
      }

      expect(await within(10_000, "query after start", () => Counter.objects.count())).toBeGreaterThanOrEqual(0);
    }, 60_000);

    test("server log shows only compiled statements", async () => {
      const hostile = "x'); drop table rel_counters; --";
      const query = Counter.objects.filter({ name__icontains: hostile }).orderBy("-id");
      const expected = query.toSQL().sql;
      const outcome = await captureQueries(db, () => query.all());

      expect(outcome.error).toBeUndefined();
      expect(outcome.events.map((event) => event.sql)).toEqual([expected]);
      await sleep(200);
      const statements = server
        .log()
        .split("\n")
        .filter((line) => line.includes("rel_counters") && !/create|insert|delete|parameters:/i.test(line));
      const received = statements.filter((line) => line.includes("like"));

      expect(received.length).toBeGreaterThan(0);

      if (target.name === "postgres") {
        // "execute <unnamed>: <sql>"; the value appears only in DETAIL lines.
        expect(received.some((line) => line.endsWith(`: ${expected}`))).toBe(true);
        expect(received.every((line) => !line.includes("drop table"))).toBe(true);
      } else {
        // MariaDB's general log prints "Prepare <sql>", then the statement
        // with the values filled in as "Execute".
        expect(received.some((line) => line.endsWith(`Prepare\t${expected}`))).toBe(true);
      }

      expect(await Counter.objects.count()).toBeGreaterThanOrEqual(0);
    }, 30_000);

    const withPassword = target.name === "postgres" ? test : test.skip;

    withPassword("wrong password never appears in errors or logs", async () => {
      const wrong = "Wr0ng-Secret-77";
      const url = server.url.replace(PASSWORD, wrong);
      const lines: string[] = [];
      const previous = process.env.CHAKRA_LOG;
      process.env.CHAKRA_LOG = "queries";
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        lines.push(String(chunk));

        return true;
      }) as typeof process.stderr.write;
      const dialect = await target.dialect(url);
      const bad = new Database({ dialect, name: "wrong-password", models: [Counter] });
      let error: unknown;

      try {
        await bad.sql`select 1`;
      } catch (caught) {
        error = caught;
      } finally {
        process.stderr.write = write;
        process.env.CHAKRA_LOG = previous;
        await bad.close();
      }

      expect(ChakraError.is(error)).toBe(true);
      const surfaces = [
        String(error),
        (error as Error).stack ?? "",
        inspect(error, { depth: 6 }),
        inspect(bad, { depth: 6 }),
        inspect(dialect, { depth: 6 }),
        lines.join(""),
      ];

      const names = ["message", "stack", "inspect(error)", "inspect(db)", "inspect(dialect)", "CHAKRA_LOG output"];
      const leaks = names.filter((_name, index) => surfaces[index]!.includes(wrong) || surfaces[index]!.includes(PASSWORD));

      expect(leaks).toEqual([]);
    }, 30_000);
  });
}

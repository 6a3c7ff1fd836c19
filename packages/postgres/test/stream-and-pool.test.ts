import { Database, Model, field, manager, type QueryEvent } from "@chakra-orm/core";
import { postgres } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class Reading extends Model.define("readings", {
  id: field.id(),
  sensor: field.string({ maxLength: 20 }),
  total: field.bigInteger(),
}) {
  static objects = manager(this);
}

const SUFFIX = "stream_pool";
const ROWS = 20_000;
let url: string;
let db: Database;

describePostgres("postgres streaming and pool", () => {
  beforeAll(async () => {
    url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres({ connectionString: url, max: 2 }), models: [Reading] });
    await db.createTables();
    await db.sql`insert into readings (sensor, total)
      select 'sensor-' || (n % 7), n::bigint * 1000000000000 from generate_series(1, ${ROWS}) as n`;
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  test("streams 20k rows in order", async () => {
    let count = 0;
    let previous = 0;
    let ordered = true;

    for await (const reading of Reading.objects.orderBy("id")) {
      ordered &&= reading.id > previous && reading.total === BigInt(reading.id) * 1_000_000_000_000n;
      previous = reading.id;
      count += 1;
    }

    expect(count).toBe(ROWS);
    expect(ordered).toBe(true);
  });

  test("stream keeps its portal open between batches", async () => {
    const iterator = Reading.objects.orderBy("id")[Symbol.asyncIterator]();
    const first = await iterator.next();
    const streaming = await db.sql<{ state: string }>`
      select state from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and query like 'select "readings".%'`;
    await iterator.return?.();

    expect(first.done).toBe(false);
    // A fully read result would leave the backend idle. A portal suspended
    // after one batch, with no Sync sent yet, keeps the statement active.
    expect(streaming.map((row) => row.state)).toEqual(["active"]);
  });

  test("breaking out early frees the connection", async () => {
    for (let round = 0; round < 5; round += 1) {
      for await (const reading of Reading.objects.filter({ sensor: "sensor-3" })) {
        if (reading.id > 100) {
          break;
        }
      }
    }

    expect(await Reading.objects.filter({ sensor: "sensor-3" }).count()).toBe(Math.floor((ROWS + 4) / 7));
  });

  test("streams inside a transaction", async () => {
    let count = 0;

    await db.transaction(async () => {
      for await (const _reading of Reading.objects.filter({ id__lte: 1234 })) {
        count += 1;
      }
    });

    expect(count).toBe(1234);
  });

  test("pool of 2 survives many failing transactions", async () => {
    const failures = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        db.transaction(async () => {
          await Reading.objects.create({ sensor: `fail-${index}`, total: 1n });

          if (index % 2 === 0) {
            await db.sql`select 1 / 0`;
          }

          throw new Error(`rolled back ${index}`);
        }),
      ),
    );
    const pool = (db.dialect.driver as unknown as { pool: { totalCount: number; idleCount: number } }).pool;

    expect(failures.every((result) => result.status === "rejected")).toBe(true);
    expect(await Reading.objects.filter({ sensor__startswith: "fail-" }).count()).toBe(0);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(await Reading.objects.count()).toBe(ROWS);
  });

  test("pool reports idle connection errors", async () => {
    const errors: Error[] = [];
    const watched = new Database({
      dialect: postgres({ connectionString: url, max: 1, onError: (error) => errors.push(error) }),
      name: "watched",
    });
    const events: QueryEvent[] = [];
    watched.on("query", (event: QueryEvent) => events.push(event));

    try {
      const [row] = await watched.sql<{ pid: number }>`select pg_backend_pid() as pid`;
      await db.sql`select pg_terminate_backend(${row!.pid})`;

      for (let attempt = 0; attempt < 50 && errors.length === 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      expect(errors).toHaveLength(1);
      expect(errors[0]!.name).toBe("ConnectionError");
      expect(await watched.sql`select 1 as ok`).toEqual([{ ok: 1 }]);
      expect(events).toHaveLength(2);
    } finally {
      await watched.close();
    }
  });
});

import { Model, field, manager } from "@chakra-orm/core";
import { describeServer, useTestDatabase } from "./server.js";

class Reading extends Model.define("readings", {
  id: field.id(),
  sensor: field.integer(),
  total: field.bigInteger(),
  note: field.string({ maxLength: 100 }),
}) {
  static objects = manager(this);
}

const ROWS = 20_000;

describeServer("MySQL streaming", () => {
  const handle = useTestDatabase("stream");

  beforeAll(async () => {
    await Reading.objects.bulkCreate(
      Array.from({ length: ROWS }, (_, index) => ({ sensor: index % 4, total: 2n ** 60n + BigInt(index), note: `reading ${index}` })),
    );
  });

  test("for await reads every row in order", async () => {
    let count = 0;
    let last = 0;
    let ordered = true;
    let typed = true;

    for await (const row of Reading.objects.filter({ sensor__gte: 0 }).orderBy("id")) {
      ordered &&= row.id > last;
      typed &&= typeof row.total === "bigint";
      last = row.id;
      count += 1;
    }

    expect(count).toBe(ROWS);
    expect(ordered).toBe(true);
    expect(typed).toBe(true);
  });

  test("breaking early frees the connection", async () => {
    let seen = 0;

    for await (const row of Reading.objects.filter({ sensor: 1 })) {
      seen += row.sensor;

      if (seen >= 10) {
        break;
      }
    }

    expect(seen).toBe(10);
    expect(await Reading.objects.filter({ sensor: 1 }).count()).toBe(ROWS / 4);
  });

  test("stream inside a transaction", async () => {
    let count = 0;

    await handle.db.transaction(async () => {
      for await (const _row of Reading.objects.filter({ sensor: 2 })) {
        count += 1;
      }

      expect(await Reading.objects.filter({ sensor: 3 }).count()).toBe(ROWS / 4);
    });

    expect(count).toBe(ROWS / 4);
  });

  test("memory stays bounded", async () => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;

    for await (const _row of Reading.objects) {
      count += 1;

      if (count % 1000 === 0) {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }

    expect(count).toBe(ROWS);
    // 20,000 hydrated rows take several MB; a stream holds about 500 at a time.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});

/**
 * 100,000 rows of ten columns through bulkCreate, upsert and bulkUpdate,
 * far past each driver's bound-parameter limit (SQLite 32,766, PostgreSQL
 * and MySQL 65,535) and, on MySQL, past what fits in one packet. Each step's
 * time is written to stderr.
 */
import { Model, field, manager, sql, type Database } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";

const ROWS = 100_000;
const BULK_TIMEOUT_MS = 300_000;

/** Ten columns besides the id, with a unique code to upsert on. */
export class Reading extends Model.define("bulk_readings", {
  id: field.id(),
  code: field.string({ maxLength: 20, unique: true }),
  sensor: field.integer(),
  value: field.integer(),
  big: field.bigInteger(),
  ratio: field.float(),
  amount: field.decimal({ precision: 12, scale: 2 }),
  label: field.string({ maxLength: 100 }),
  note: field.text(),
  active: field.boolean(),
  takenAt: field.dateTime(),
}) {
  static objects = manager(this);
}

function reading(index: number, value: number) {
  return {
    code: `c${index}`,
    sensor: index % 7,
    value,
    big: 9_007_199_254_740_993n + BigInt(index),
    ratio: index / 4,
    amount: `${index % 100}.25`,
    label: `label ${index} ✓`,
    // About 1 KB per row, so MySQL statements are cut by bytes as well.
    note: "n".repeat(1_000),
    active: index % 2 === 0,
    takenAt: new Date(Date.UTC(2024, 0, 1) + index * 1_000),
  };
}

/** Sums the value column with raw SQL, read as a number on every driver. */
async function sumOfValues(db: Database): Promise<number> {
  const [row] = await db.sql<{ total: unknown }>`select sum(${sql.identifier("value")}) as total from ${sql.identifier("bulk_readings")}`;

  return Number(row!.total);
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  process.stderr.write(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  return result;
}

eachDialect("bulk 100k", ({ db, dialect }) => {
  test(
    "bulkCreate, upsert and bulkUpdate",
    async () => {
      const rows = Array.from({ length: ROWS }, (_, index) => reading(index, index % 1_000));
      const created = await timed(`${dialect.name} bulkCreate ${ROWS}`, () => Reading.objects.bulkCreate(rows));
      const ids = created.map((row) => row.id);

      expect(new Set(ids).size).toBe(ROWS);
      expect(await Reading.objects.count()).toBe(ROWS);
      // sum of i % 1000 over 0..99,999 = 100 * (0 + ... + 999) = 49,950,000
      expect(await sumOfValues(db())).toBe(49_950_000);
      expect((await Reading.objects.get({ code: "c99999" })).id).toBe(ids[ROWS - 1]);
      expect((await Reading.objects.get({ code: "c12345" })).big).toBe(9_007_199_254_753_338n);

      // Rows 50,000..149,999: the first half updates existing rows, the second inserts.
      const upserts = Array.from({ length: ROWS }, (_, offset) => reading(50_000 + offset, 1));
      const upserted = await timed(`${dialect.name} upsert ${ROWS}`, () =>
        Reading.objects.bulkCreate(upserts, { onConflict: { target: ["code"], update: ["value"] } }),
      );

      expect(await Reading.objects.count()).toBe(150_000);
      expect(upserted[0]!.id).toBe(ids[50_000]);
      expect(upserted[49_999]!.id).toBe(ids[99_999]);
      expect(new Set(upserted.map((row) => row.id)).size).toBe(ROWS);
      expect((await Reading.objects.get({ code: "c149999" })).id).toBe(upserted[ROWS - 1]!.id);
      // rows 0..49,999 keep i % 1000 (50 * 499,500), the other 100,000 hold 1
      expect(await sumOfValues(db())).toBe(24_975_000 + 100_000);

      created.forEach((row, index) => {
        row.value = index;
        row.label = `updated ${index}`;
      });
      const matched = await timed(`${dialect.name} bulkUpdate ${ROWS}`, () =>
        Reading.objects.bulkUpdate(created, ["value", "label"]),
      );

      expect(matched).toBe(ROWS);
      // rows 0..99,999 hold their index (4,999,950,000), rows 100,000..149,999 hold 1
      expect(await sumOfValues(db())).toBe(4_999_950_000 + 50_000);
      expect((await Reading.objects.get({ code: "c77777" })).label).toBe("updated 77777");
    },
    BULK_TIMEOUT_MS,
  );
});

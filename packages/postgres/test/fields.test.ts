import { Database, Model, field, manager } from "@chakra-orm/core";
import { parseTimestamp, postgres } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class Sample extends Model.define("samples", {
  id: field.id(),
  count: field.integer({ nullable: true }),
  big: field.bigInteger({ nullable: true }),
  ratio: field.float({ nullable: true }),
  amount: field.decimal({ precision: 20, scale: 6, nullable: true }),
  name: field.string({ maxLength: 20, nullable: true }),
  body: field.text({ nullable: true }),
  active: field.boolean({ nullable: true }),
  happenedAt: field.dateTime({ nullable: true }),
  day: field.date({ nullable: true }),
  clock: field.time({ nullable: true }),
  data: field.json({ nullable: true }),
  token: field.uuid({ nullable: true }),
  blob: field.binary({ nullable: true }),
  status: field.enum(["draft", "published"], { nullable: true }),
  version: field.version(),
}) {
  static objects = manager(this);
}

class Token extends Model.define("tokens", {
  key: field.uuid({ primaryKey: true }),
  label: field.string({ maxLength: 20 }),
}) {
  static objects = manager(this);
}

class Grant extends Model.define("grants", {
  id: field.id(),
  token: field.foreignKey(() => Token),
}) {
  static objects = manager(this);
}

const SUFFIX = "fields";
let db: Database;

async function roundTrip(data: Record<string, unknown>): Promise<Sample> {
  const created = await Sample.objects.create(data);

  return Sample.objects.get({ id: created.id });
}

describePostgres("postgres field kinds", () => {
  beforeAll(async () => {
    const url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres(url), models: [Sample, Token, Grant] });
    await db.createTables();
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  test("column types match the field kinds", async () => {
    const rows = await db.sql<{ column_name: string; data_type: string }>`
      select column_name, format_type(atttypid, atttypmod) as data_type
      from information_schema.columns
      join pg_attribute on attrelid = 'samples'::regclass and attname = column_name
      where table_name = 'samples'`;
    const types = Object.fromEntries(rows.map((row) => [row.column_name, row.data_type]));

    expect(types).toEqual({
      id: "integer",
      count: "integer",
      big: "bigint",
      ratio: "double precision",
      amount: "numeric(20,6)",
      name: "character varying(20)",
      body: "text",
      active: "boolean",
      happened_at: "timestamp(3) with time zone",
      day: "date",
      clock: "time without time zone",
      data: "jsonb",
      token: "uuid",
      blob: "bytea",
      status: "character varying(9)",
      version: "integer",
    });
  });

  test("integer edges", async () => {
    for (const count of [2 ** 31 - 1, -(2 ** 31), 0]) {
      expect((await roundTrip({ count })).count).toBe(count);
    }
  });

  test("bigInteger edges beyond 2^53", async () => {
    for (const big of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 0n]) {
      const read = await roundTrip({ big });
      expect(read.big).toBe(big);
    }
  });

  test("float keeps double precision", async () => {
    for (const ratio of [0.1 + 0.2, -1e-300, 1.7976931348623157e308]) {
      expect((await roundTrip({ ratio })).ratio).toBe(ratio);
    }
  });

  test("decimal keeps every digit", async () => {
    const cases: [string, string][] = [
      ["99999999999999.999999", "99999999999999.999999"],
      ["-99999999999999.999999", "-99999999999999.999999"],
      ["12.50", "12.5"],
      ["0.000001", "0.000001"],
      ["100", "100"],
      ["0", "0"],
    ];

    for (const [input, expected] of cases) {
      const read = await roundTrip({ amount: input });
      expect(read.amount).toBe(expected);
    }
  });

  test("string and text keep emoji and accents", async () => {
    const name = "🎉".repeat(20);
    const body = "Grüße, 世界! 👩‍👩‍👧 ".repeat(1000);
    const read = await roundTrip({ name, body });

    expect(read.name).toBe(name);
    expect(read.body).toBe(body);
  });

  test("boolean reads as boolean", async () => {
    expect((await roundTrip({ active: true })).active).toBe(true);
    expect((await roundTrip({ active: false })).active).toBe(false);
  });

  test("dateTime keeps UTC milliseconds", async () => {
    const instants = [
      new Date("2024-02-29T23:59:59.999Z"),
      new Date("1969-12-31T23:59:59.001Z"),
      new Date("1901-06-15T12:00:00.000Z"),
      new Date("0001-01-01T00:00:00.000Z"),
      new Date("9999-12-31T23:59:59.999Z"),
    ];

    for (const happenedAt of instants) {
      const read = await roundTrip({ happenedAt });
      expect(read.happenedAt?.toISOString()).toBe(happenedAt.toISOString());
    }
  });

  test("dateTime ignores the server time zone", async () => {
    const happenedAt = new Date("2024-06-01T00:30:00.000Z");
    const created = await Sample.objects.create({ happenedAt });

    await db.transaction(async () => {
      await db.sql`set local time zone 'Asia/Kolkata'`;
      const read = await Sample.objects.get({ id: created.id });
      expect(read.happenedAt?.toISOString()).toBe(happenedAt.toISOString());
    });
  });

  test("date keeps days before 1970", async () => {
    for (const day of ["1969-12-31", "0001-01-01", "1900-02-28", "2000-02-29", "9999-12-31"]) {
      expect((await roundTrip({ day })).day).toBe(day);
    }
  });

  test("time keeps fractions", async () => {
    for (const clock of ["00:00:00", "23:59:59.123456", "12:30:00"]) {
      expect((await roundTrip({ clock })).clock).toBe(clock);
    }
  });

  test("json keeps arrays, scalars and large documents", async () => {
    const large = {
      items: Array.from({ length: 5000 }, (_, index) => ({ index, label: `item ${index} ✓` })),
    };
    const cases: unknown[] = [[1, "two", null, { three: 3 }], "just text", 42, true, { nested: { deep: ["x"] } }, large];

    for (const data of cases) {
      expect((await roundTrip({ data })).data).toEqual(data);
    }
  });

  test("json null column stays SQL null", async () => {
    const read = await roundTrip({ data: null });

    expect(read.data).toBeNull();
  });

  test("uuid reads lower case", async () => {
    const read = await roundTrip({ token: "123E4567-E89B-12D3-A456-426614174000" });

    expect(read.token).toBe("123e4567-e89b-12d3-a456-426614174000");
  });

  test("binary keeps every byte", async () => {
    const blob = new Uint8Array(256 * 4);
    blob.forEach((_, index) => (blob[index] = index % 256));
    const read = await roundTrip({ blob });

    expect(read.blob).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(read.blob!).equals(Buffer.from(blob))).toBe(true);
  });

  test("enum rejects values outside its check", async () => {
    expect((await roundTrip({ status: "published" })).status).toBe("published");
    await expect(
      db.sql`insert into samples (status, version) values (${"archived"}, 1)`,
    ).rejects.toMatchObject({ name: "CheckViolation" });
  });

  test("version starts at one", async () => {
    expect((await roundTrip({})).version).toBe(1);
  });

  test("null reads as null for every kind", async () => {
    const read = await roundTrip({});

    for (const name of ["count", "big", "ratio", "amount", "name", "body", "active", "happenedAt", "day", "clock", "data", "token", "blob", "status"]) {
      expect((read as unknown as Record<string, unknown>)[name]).toBeNull();
    }
  });

  test("uuid primary and foreign keys", async () => {
    const token = await Token.objects.create({ key: "00000000-0000-4000-8000-000000000001", label: "a" });
    const grant = await Grant.objects.create({ token });
    const read = await Grant.objects.selectRelated("token").get({ id: grant.id });

    expect(read.tokenId).toBe(token.key);
    expect((await read.load("token") as Token).label).toBe("a");
  });

  test("values() converts like hydration", async () => {
    const created = await Sample.objects.create({ big: 2n ** 62n, amount: "1.5", day: "1950-01-02" });
    const [row] = await Sample.objects.filter({ id: created.id }).values("big", "amount", "day");

    expect(row).toEqual({ big: 2n ** 62n, amount: "1.5", day: "1950-01-02" });
  });
});

describe("parseTimestamp", () => {
  test("reads offsets and eras", () => {
    expect(parseTimestamp("2024-01-02 03:04:05.678+00").toISOString()).toBe("2024-01-02T03:04:05.678Z");
    expect(parseTimestamp("2024-01-02 08:34:05+05:30").toISOString()).toBe("2024-01-02T03:04:05.000Z");
    expect(parseTimestamp("0099-03-04 00:00:00+00").toISOString()).toBe("0099-03-04T00:00:00.000Z");
    expect(parseTimestamp("0001-01-01 00:00:00+00 BC").getUTCFullYear()).toBe(0);
    expect(parseTimestamp("infinity").getTime()).toBe(8.64e15);
    expect(Number.isNaN(parseTimestamp("not a timestamp").getTime())).toBe(true);
  });
});

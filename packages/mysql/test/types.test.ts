import { Model, field, manager } from "@chakra-orm/core";
import { describeServer, useTestDatabase } from "./server.js";

class Sample extends Model.define("samples", {
  id: field.id(),
  count: field.integer({ nullable: true }),
  big: field.bigInteger({ nullable: true }),
  ratio: field.float({ nullable: true }),
  price: field.decimal({ precision: 20, scale: 6, nullable: true }),
  name: field.string({ maxLength: 100, nullable: true }),
  body: field.text({ nullable: true }),
  active: field.boolean({ nullable: true }),
  at: field.dateTime({ nullable: true }),
  day: field.date({ nullable: true }),
  clock: field.time({ nullable: true }),
  data: field.json({ nullable: true }),
  key: field.uuid({ nullable: true }),
  blob: field.binary({ nullable: true }),
  color: field.enum(["red", "green"], { nullable: true }),
}) {
  static objects = manager(this);
}

async function roundTrip(values: Partial<Record<keyof Sample, unknown>>): Promise<Sample> {
  const created = await Sample.objects.create(values as never);

  return Sample.objects.get({ id: created.id });
}

describeServer("MySQL value round trips", () => {
  const handle = useTestDatabase("types");

  test("integers at 32-bit edges", async () => {
    expect((await roundTrip({ count: 2 ** 31 - 1 })).count).toBe(2 ** 31 - 1);
    expect((await roundTrip({ count: -(2 ** 31) })).count).toBe(-(2 ** 31));
  });

  test("bigint at 64-bit edges", async () => {
    for (const big of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 0n]) {
      const row = await roundTrip({ big });
      expect(row.big).toBe(big);
    }
  });

  test("bigint lookup compares exactly", async () => {
    await roundTrip({ big: 2n ** 62n + 1n });
    expect(await Sample.objects.filter({ big: 2n ** 62n + 1n }).count()).toBe(1);
    expect(await Sample.objects.filter({ big: 2n ** 62n }).count()).toBe(0);
  });

  test("float keeps every bit", async () => {
    for (const ratio of [0.1 + 0.2, Number.MAX_VALUE, -Number.MIN_VALUE, 1 / 3]) {
      expect((await roundTrip({ ratio })).ratio).toBe(ratio);
    }
  });

  test("decimal(20,6) keeps every digit", async () => {
    for (const [input, output] of [
      ["99999999999999.999999", "99999999999999.999999"],
      ["-0.000001", "-0.000001"],
      ["12.50", "12.5"],
      ["0", "0"],
    ]) {
      const row = await roundTrip({ price: input });
      expect(row.price).toBe(output);
    }
  });

  test("text keeps emoji and long strings", async () => {
    const name = "emoji 😀🇩🇪 and ñ, ß, 漢字";
    const body = "🙂".repeat(100_000);
    const row = await roundTrip({ name, body });
    expect(row.name).toBe(name);
    expect(row.body).toBe(body);
  });

  test("boolean reads as boolean", async () => {
    expect((await roundTrip({ active: true })).active).toBe(true);
    expect((await roundTrip({ active: false })).active).toBe(false);
  });

  test("dateTime before 1970 and in year 1", async () => {
    for (const iso of ["1969-07-20T20:17:40.123Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "0099-03-04T05:06:07.008Z"]) {
      const row = await roundTrip({ at: new Date(iso) });
      expect(row.at?.toISOString()).toBe(iso);
    }
  });

  test("dateTime ignores session time zone", async () => {
    const at = new Date("2024-03-31T01:30:00.250Z");
    const created = await Sample.objects.create({ at });
    await handle.db.transaction(async () => {
      await handle.db.sql`set time_zone = '+05:30'`;
      const row = await Sample.objects.get({ id: created.id });
      expect(row.at?.toISOString()).toBe(at.toISOString());
      expect(await Sample.objects.filter({ id: created.id, at }).count()).toBe(1);
      await handle.db.sql`set time_zone = '+00:00'`;
    });
  });

  test("dateTime year lookup", async () => {
    const created = await Sample.objects.create({ at: new Date("1955-11-05T06:00:00Z") });
    expect(await Sample.objects.filter({ id: created.id, at__year: 1955, at__month: 11, at__day: 5 }).count()).toBe(1);
  });

  test("date and time strings", async () => {
    const row = await roundTrip({ day: "0001-02-03", clock: "23:59:59.5" });
    expect(row.day).toBe("0001-02-03");
    expect(row.clock).toBe("23:59:59.5");
    expect((await roundTrip({ clock: "08:00:00" })).clock).toBe("08:00:00");
  });

  test("json values of every type", async () => {
    const large = { items: Array.from({ length: 20_000 }, (_, index) => ({ index, label: `item ${index} 😀` })) };

    for (const data of ["text", 42, 1.5, true, null, [1, "two", { three: 3 }], large]) {
      const row = await roundTrip({ data });
      expect(row.data).toEqual(data);
    }
  });

  test("uuid and enum", async () => {
    const row = await roundTrip({ key: "123E4567-E89B-12D3-A456-426614174000", color: "green" });
    expect(row.key).toBe("123e4567-e89b-12d3-a456-426614174000");
    expect(row.color).toBe("green");
  });

  test("binary keeps every byte", async () => {
    const blob = new Uint8Array(70_000).map((_, index) => index % 256);
    const row = await roundTrip({ blob });
    expect(Buffer.from(row.blob!).equals(Buffer.from(blob))).toBe(true);
  });

  test("nulls stay null", async () => {
    const row = await roundTrip({});
    expect(row.big).toBeNull();
    expect(row.data).toBeNull();
    expect(row.at).toBeNull();
  });
});

import { F, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Sample, clearTables } from "../src/models";

const EDGES = [
  { label: "max", integer: 2 ** 31 - 1, big: 2n ** 63n - 1n, ratio: 1.5e300, amount: "99999999999999.999999", name: "emoji 😀🎉 and ünïcode", note: "", flag: true, at: new Date("2038-01-19T03:14:07.999Z"), day: "9999-12-31", clock: "23:59:59", doc: { nested: { list: [1, "two", null, true] }, big: "x".repeat(20_000) }, uid: "123e4567-e89b-12d3-a456-426614174000", blob: new Uint8Array([0, 1, 254, 255]), level: "high" as const },
  { label: "min", integer: -(2 ** 31), big: -(2n ** 63n), ratio: -0.000001, amount: "-0.000001", name: "", note: "line\nbreak\\backslash 'quote' \"dq\"", flag: false, at: new Date("1969-07-20T20:17:40.123Z"), day: "1900-02-28", clock: "00:00:00", doc: [], uid: "00000000-0000-0000-0000-000000000000", blob: new Uint8Array([]), level: "low" as const },
  { label: "dst", integer: 0, big: 0n, ratio: 0, amount: "0", name: "DST", note: "x", flag: false, at: new Date("2024-03-31T01:30:00.000Z"), day: "2024-03-31", clock: "02:30:00", doc: "just a string", uid: "ffffffff-ffff-ffff-ffff-ffffffffffff", blob: new Uint8Array([7]), level: "mid" as const },
];

eachDialect("field fidelity", ({ db }) => {
  afterEach(() => clearTables(db()));

  test.each(EDGES)("$label values read back equal", async (edge) => {
    await Sample.objects.create(edge);
    const stored = await Sample.objects.get({ label: edge.label });

    expect(stored.integer).toBe(edge.integer);
    expect(stored.big).toBe(edge.big);
    expect(stored.ratio).toBe(edge.ratio);
    expect(stored.amount).toBe(edge.amount);
    expect(stored.name).toBe(edge.name);
    expect(stored.note).toBe(edge.note);
    expect(stored.flag).toBe(edge.flag);
    expect(stored.at!.toISOString()).toBe(edge.at.toISOString());
    expect(stored.day).toBe(edge.day);
    expect(stored.clock).toBe(edge.clock);
    expect(stored.doc).toEqual(edge.doc);
    expect(stored.uid).toBe(edge.uid);
    expect(Buffer.from(stored.blob!).equals(Buffer.from(edge.blob))).toBe(true);
    expect(stored.level).toBe(edge.level);
  });

  test("null and empty string stay distinct", async () => {
    await Sample.objects.bulkCreate([{ label: "empty", name: "" }, { label: "null", name: null }]);

    expect(await Sample.objects.filter({ name: "" }).flatValues("label")).toEqual(["empty"]);
    expect(await Sample.objects.filter({ name: null }).flatValues("label")).toEqual(["null"]);
  });

  test("bigint filters beyond 2^53", async () => {
    await Sample.objects.bulkCreate([{ label: "a", big: 2n ** 60n }, { label: "b", big: 2n ** 60n + 1n }]);

    expect(await Sample.objects.filter({ big: 2n ** 60n + 1n }).flatValues("label")).toEqual(["b"]);
    expect(await Sample.objects.filter({ big__gt: 2n ** 60n }).count()).toBe(1);
  });

  test("decimals keep full precision", async () => {
    await Sample.objects.create({ label: "d", amount: "12345678901234.123456" });

    expect((await Sample.objects.get({ label: "d" })).amount).toBe("12345678901234.123456");
    expect(await Sample.objects.filter({ amount__gt: "12345678901234" }).count()).toBe(1);
  });

  test("decimal filters match equal values", async () => {
    await Sample.objects.create({ label: "d", amount: "1.5" });

    expect(await Sample.objects.filter({ amount: "1.5000" }).count()).toBe(1);
    expect(await Sample.objects.filter({ amount__in: ["10.0", "1.50"] }).count()).toBe(1);
    expect(await Sample.objects.exclude({ amount: "1.50" }).filter({ label: "d" }).count()).toBe(0);
    expect(await Sample.objects.filter({ label: "d" }).update({ amount: F("amount").add("0.25") })).toBe(1);
    expect((await Sample.objects.get({ label: "d" })).amount).toBe("1.75");
  });

  test("out-of-range values raise ValidationError", async () => {
    const bad = [
      { label: "x", integer: 2 ** 31 },
      { label: "x", big: 2n ** 63n },
      { label: "x", ratio: Number.NaN },
      { label: "x", amount: "1.0000001" },
      { label: "x", name: "a\u0000b" },
      { label: "x", name: "\ud800" },
      { label: "x", at: new Date("invalid") },
      { label: "x", day: "2023-02-29" },
      { label: "x", uid: "not-a-uuid" },
      { label: "x", level: "extreme" },
    ];

    for (const values of bad) {
      await expect(Sample.objects.create(values as never)).rejects.toBeInstanceOf(ValidationError);
    }

    expect(await Sample.objects.count()).toBe(0);
  });
});

/**
 * Concurrent writers on one key: getOrCreate and updateOrCreate make one
 * row, F() increments lose no update, and conflicting serializable
 * transactions end right when the retry helper repeats them.
 */
import { DeadlockError, F, SerializationError, retry } from "@chakra-orm/core";
import { eachDialect } from "../../src/dialects";
import { Counter, Slot } from "../../src/reliability-models";
import { within } from "../../src/reliability-helpers";

/** Concurrent callers per race; below the default pool size of 10. */
const WRITERS = 8;

eachDialect("reliability races", ({ dialect, db }) => {
  beforeEach(async () => {
    await Slot.objects.delete();
    await Counter.objects.delete();
  });

  test("concurrent getOrCreate makes one row", async () => {
    for (let round = 0; round < 5; round += 1) {
      const name = `slot-${round}`;
      const results = await within(20_000, "getOrCreate race", () =>
        Promise.all(Array.from({ length: WRITERS }, () => Slot.objects.getOrCreate({ name }, { hits: 1 }))),
      );

      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(new Set(results.map(([slot]) => slot.id)).size).toBe(1);
      expect(await Slot.objects.filter({ name }).count()).toBe(1);
    }
  });

  test("concurrent updateOrCreate makes one row", async () => {
    for (let round = 0; round < 5; round += 1) {
      const name = `upsert-${round}`;
      const settled = await within(20_000, "updateOrCreate race", () =>
        Promise.allSettled(Array.from({ length: WRITERS }, (_, index) => Slot.objects.updateOrCreate({ name }, { hits: index }))),
      );
      const rejected = settled.filter((result) => result.status === "rejected").map((result) => String((result as PromiseRejectedResult).reason));

      expect(rejected).toEqual([]);
      const created = settled.filter((result) => result.status === "fulfilled" && result.value[1]);
      expect(created).toHaveLength(1);
      expect(await Slot.objects.filter({ name }).count()).toBe(1);
    }
  });

  test("concurrent F() increments lose nothing", async () => {
    const counter = await Counter.objects.create({ name: "hits" });
    const increments = 200;

    await within(30_000, "increments", async () => {
      for (let batch = 0; batch < increments / WRITERS; batch += 1) {
        await Promise.all(Array.from({ length: WRITERS }, () => Counter.objects.filter({ id: counter.id }).update({ value: F("value").add(1) })));
      }
    });

    expect((await Counter.objects.get({ id: counter.id })).value).toBe(increments);
  });

  const serializable = dialect.name === "sqlite" ? test.skip : test;

  serializable("serializable conflicts are retried to the right total", async () => {
    const counter = await Counter.objects.create({ name: "balance" });
    let retries = 0;
    // Read, then write what was read plus one: without serializable
    // isolation and retries, concurrent runs would lose updates.
    const addOne = () =>
      retry(
        () =>
          db().transaction(
            async () => {
              const current = await Counter.objects.get({ id: counter.id });
              await Counter.objects.filter({ id: counter.id }).update({ value: current.value + 1 });
            },
            { isolation: "serializable" },
          ),
        { attempts: 30, on: [DeadlockError, SerializationError], backoffMs: 5, onRetry: () => (retries += 1) },
      );

    await within(60_000, "serializable writers", () => Promise.all(Array.from({ length: WRITERS }, addOne)));

    expect((await Counter.objects.get({ id: counter.id })).value).toBe(WRITERS);
    expect(retries).toBeGreaterThan(0);
  });
});

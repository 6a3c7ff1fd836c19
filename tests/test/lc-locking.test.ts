import { OptimisticLockError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Counter, clearLifecycleTables } from "../src/lifecycle-models";

/** Concurrent writers in the race test; each adds 1 once. */
const WRITERS = 20;
/** Attempts per writer before it gives up; far above what 20 writers need. */
const MAX_ATTEMPTS = 200;

eachDialect("optimistic locking", ({ db }) => {
  afterEach(() => clearLifecycleTables(db()));

  test("save increments the version", async () => {
    const counter = await Counter.objects.create({ name: "c" });
    expect(counter.version).toBe(1);

    counter.count = 1;
    await counter.save();
    expect(counter.version).toBe(2);
    expect((await Counter.objects.get({ id: counter.id })).version).toBe(2);
  });

  test("a stale save raises OptimisticLockError", async () => {
    const counter = await Counter.objects.create({ name: "c" });
    const first = await Counter.objects.get({ id: counter.id });
    const second = await Counter.objects.get({ id: counter.id });
    first.count = 1;
    await first.save();
    second.count = 2;

    const error = await second.save().then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(OptimisticLockError);
    expect((error as OptimisticLockError).model).toBe("Counter");
    expect((error as OptimisticLockError).id).toBe(counter.id);
    expect((error as OptimisticLockError).expectedVersion).toBe(1);
    expect((error as Error).message).toContain("expected version 1");
    expect(second.version).toBe(1);
    expect((await Counter.objects.get({ id: counter.id })).count).toBe(1);
  });

  test("concurrent writers lose no update", async () => {
    const { id } = await Counter.objects.create({ name: "race" });
    const winners: number[] = [];
    let conflicts = 0;

    async function addOne(): Promise<void> {
      const counter = await Counter.objects.get({ id });

      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        counter.count += 1;

        try {
          await counter.save();
          winners.push(counter.version);

          return;
        } catch (error) {
          if (!(error instanceof OptimisticLockError)) {
            throw error;
          }

          conflicts += 1;
          await counter.refresh();
        }
      }

      throw new Error(`gave up after ${MAX_ATTEMPTS} attempts`);
    }

    await Promise.all(Array.from({ length: WRITERS }, () => addOne()));
    const final = await Counter.objects.get({ id });

    expect(final.count).toBe(WRITERS);
    expect(final.version).toBe(WRITERS + 1);
    // Exactly one writer wins each version from 2 to WRITERS + 1.
    expect([...winners].sort((a, b) => a - b)).toEqual(Array.from({ length: WRITERS }, (_, index) => index + 2));
    expect(conflicts).toBeGreaterThan(0);
  });
});

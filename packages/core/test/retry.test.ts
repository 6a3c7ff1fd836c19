import { DeadlockError, SerializationError, UniqueViolation, ValidationError } from "../src/errors";
import { retry } from "../src/retry";

describe("retry", () => {
  test("repeats deadlocks until success", async () => {
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);

        if (attempt < 3) {
          throw new DeadlockError("deadlock");
        }

        return "done";
      },
      { attempts: 3, backoffMs: 1 },
    );

    expect(result).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
  });

  test("rethrows the last error after the attempts", async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls += 1;
        throw new SerializationError("conflict");
      },
      { attempts: 4, backoffMs: 0 },
    );

    await expect(failing).rejects.toBeInstanceOf(SerializationError);
    expect(calls).toBe(4);
  });

  test("rethrows other errors at once", async () => {
    let calls = 0;
    const failing = retry(async () => {
      calls += 1;
      throw new UniqueViolation("taken");
    });

    await expect(failing).rejects.toBeInstanceOf(UniqueViolation);
    expect(calls).toBe(1);
  });

  test("retries only the listed classes", async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls += 1;
        throw new DeadlockError("deadlock");
      },
      { on: [SerializationError], backoffMs: 0 },
    );

    await expect(failing).rejects.toBeInstanceOf(DeadlockError);
    expect(calls).toBe(1);
  });

  test("reports each retry", async () => {
    const retries: number[] = [];
    await retry(
      async (attempt) => {
        if (attempt === 1) {
          throw new DeadlockError("deadlock");
        }
      },
      { backoffMs: 0, onRetry: (_error, attempt) => retries.push(attempt) },
    );

    expect(retries).toEqual([2]);
  });

  test("rejects invalid options", async () => {
    await expect(retry(async () => 1, { attempts: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(retry(async () => 1, { backoffMs: -1 })).rejects.toBeInstanceOf(ValidationError);
  });
});

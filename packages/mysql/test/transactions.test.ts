import { Database, Model, field, manager } from "@chakra-orm/core";
import { mysql } from "../src/index.js";
import { describeServer, useTestDatabase } from "./server.js";

class Account extends Model.define("accounts", {
  id: field.id(),
  owner: field.string({ maxLength: 50, unique: true }),
  balance: field.integer({ default: 0 }),
}) {
  static objects = manager(this);
}

class Marker extends Error {}

describeServer("MySQL transactions", () => {
  const handle = useTestDatabase("transactions");

  beforeEach(async () => {
    await Account.objects.delete();
  });

  test("commit keeps writes", async () => {
    await handle.db.transaction(async () => {
      await Account.objects.create({ owner: "kept" });
    });

    expect(await Account.objects.filter({ owner: "kept" }).exists()).toBe(true);
  });

  test("rollback discards writes", async () => {
    await expect(
      handle.db.transaction(async () => {
        await Account.objects.create({ owner: "lost" });
        throw new Marker("stop");
      }),
    ).rejects.toBeInstanceOf(Marker);

    expect(await Account.objects.filter({ owner: "lost" }).exists()).toBe(false);
  });

  test("savepoint rolls back the inner block only", async () => {
    await handle.db.transaction(async (tx) => {
      await Account.objects.create({ owner: "outer" });

      await expect(
        tx.transaction(async () => {
          await Account.objects.create({ owner: "inner" });
          throw new Marker("inner failure");
        }),
      ).rejects.toBeInstanceOf(Marker);

      await tx.transaction(async () => {
        await Account.objects.create({ owner: "second inner" });
      });
    });

    const owners = await Account.objects.orderBy("owner").valuesList("owner");
    expect(owners).toEqual([["outer"], ["second inner"]]);
  });

  test("read-only transaction rejects writes", async () => {
    await expect(
      handle.db.transaction(async () => {
        await Account.objects.create({ owner: "read only" });
      }, { readOnly: true, isolation: "serializable" }),
    ).rejects.toThrow(/read only|READ ONLY/i);
  });

  test("onCommit runs after commit only", async () => {
    const calls: string[] = [];

    await handle.db.transaction(async (tx) => {
      await tx.onCommit(() => calls.push("committed"));
    });
    await handle.db.transaction(async (tx) => {
      await tx.onCommit(() => calls.push("rolled back"));
      throw new Marker("stop");
    }).catch(() => undefined);

    expect(calls).toEqual(["committed"]);
  });

  test("pool of 2 survives failing transactions", async () => {
    const small = new Database({ dialect: mysql({ ...handle.options, connectionLimit: 2, acquireTimeout: 5000 }), name: "small" });

    try {
      await Account.objects.using(small).create({ owner: "taken" });
      const attempts = Array.from({ length: 40 }, (_, index) =>
        small.transaction(async () => {
          await Account.objects.using(small).create({ owner: `attempt ${index}` });

          if (index % 2 === 0) {
            throw new Marker(`attempt ${index}`);
          }

          await Account.objects.using(small).create({ owner: "taken" });
        }),
      );
      const results = await Promise.allSettled(attempts);

      expect(results.every((result) => result.status === "rejected")).toBe(true);
      expect(await Account.objects.using(small).count()).toBe(1);
      expect((await small.sql<{ one: number }>`select 1 as one`)[0]!.one).toBe(1);
    } finally {
      await small.close();
    }
  });

  test("pool acquire timeout names the pool size", async () => {
    const tiny = new Database({ dialect: mysql({ ...handle.options, connectionLimit: 1, acquireTimeout: 200 }), name: "tiny" });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });

    try {
      const holder = tiny.transaction(() => held);
      await new Promise((resolve) => setTimeout(resolve, 100));

      await expect(tiny.sql`select 1`).rejects.toMatchObject({
        name: "QueryTimeoutError",
        message: expect.stringMatching(/connectionLimit 1, 1 requests waiting/),
      });

      release();
      await holder;
      expect(await tiny.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      release();
      await tiny.close();
    }
  });
});

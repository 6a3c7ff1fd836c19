import { eachDialect } from "../src/dialects";
import { Author, clearTables } from "../src/models";

eachDialect("transactions", ({ db }) => {
  afterEach(() => clearTables(db()));

  test("commit keeps the writes", async () => {
    await db().transaction(async () => {
      await Author.objects.create({ username: "t1" });
    });

    expect(await Author.objects.count()).toBe(1);
  });

  test("a throwing callback rolls back", async () => {
    await expect(
      db().transaction(async () => {
        await Author.objects.create({ username: "t1" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");

    expect(await Author.objects.count()).toBe(0);
  });

  test("nested transactions use savepoints", async () => {
    await db().transaction(async () => {
      await Author.objects.create({ username: "outer" });
      await expect(
        db().transaction(async () => {
          await Author.objects.create({ username: "inner" });
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
      await db().transaction(async () => {
        await Author.objects.create({ username: "inner2" });
      });
    });

    expect((await Author.objects.all()).map((author) => author.username)).toEqual(["inner2", "outer"]);
  });

  test("onCommit runs after the outermost commit only", async () => {
    const calls: string[] = [];

    await db().transaction(async () => {
      await db().onCommit(() => calls.push("outer"));
      await db().transaction(async () => {
        await db().onCommit(() => calls.push("inner"));
      });

      expect(calls).toEqual([]);
    });

    await db().transaction(async () => {
      await db().onCommit(() => calls.push("rolled back"));
      throw new Error("no");
    }).catch(() => undefined);

    expect(calls).toEqual(["outer", "inner"]);
  });

  test("instance saves join the active transaction", async () => {
    await expect(
      db().transaction(async () => {
        const author = new Author({ username: "saved" });
        await author.save();
        author.karma = 3;
        await author.save();
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");

    expect(await Author.objects.filter({ username: "saved" }).exists()).toBe(false);
  });

  test("concurrent transactions each see their own work", async () => {
    await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        db().transaction(async () => {
          await Author.objects.create({ username: `c${index}` });
          await new Promise((resolve) => setTimeout(resolve, 2));
          await Author.objects.filter({ username: `c${index}` }).update({ karma: index });
        }),
      ),
    );

    expect(await Author.objects.orderBy("username").flatValues("karma")).toEqual([0, 1, 2, 3, 4]);
  });

  test("sibling savepoints run one after another", async () => {
    await db().transaction(async () => {
      await Promise.allSettled([
        db().transaction(async () => {
          await Author.objects.create({ username: "a1" });
          await new Promise((resolve) => setTimeout(resolve, 20));
          await Author.objects.create({ username: "a2" });
        }),
        db().transaction(async () => {
          await Author.objects.create({ username: "b1" });
          throw new Error("b fails");
        }),
      ]);
    });

    expect(await Author.objects.orderBy("username").flatValues("username")).toEqual(["a1", "a2"]);
  });

  test("a failing onCommit callback does not fail the commit", async () => {
    const calls: string[] = [];
    const errors: unknown[] = [];
    const listener = (error: unknown) => errors.push(error);
    db().on("callbackError", listener);

    try {
      await db().transaction(async () => {
        await Author.objects.create({ username: "kept" });
        await db().onCommit(() => {
          throw new Error("callback fails");
        });
        await db().onCommit(() => calls.push("second"));
      });
    } finally {
      db().off("callbackError", listener);
    }

    expect(calls).toEqual(["second"]);
    expect(errors).toHaveLength(1);
    expect(await Author.objects.filter({ username: "kept" }).exists()).toBe(true);
  });

  test("queries inside a streamed loop in a transaction", async () => {
    await Author.objects.bulkCreate(Array.from({ length: 700 }, (_, index) => ({ username: `s${index}` })));
    let seen = 0;

    await db().transaction(async () => {
      for await (const author of Author.objects.orderBy("id")) {
        seen += (await Author.objects.filter({ id: author.id }).count()) === 1 ? 1 : 0;
      }
    });

    expect(seen).toBe(700);
  });

  test("read-only and isolation options", async () => {
    const count = await db().transaction(() => Author.objects.count(), { readOnly: true, isolation: "serializable" });

    expect(count).toBe(0);
  });
});

import { currentContext, hooks, withContext } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Counter, Note, clearLifecycleTables, hookCalls } from "../src/lifecycle-models";

eachDialect("hooks", ({ db }) => {
  beforeEach(() => {
    hookCalls.length = 0;
  });

  afterEach(() => clearLifecycleTables(db()));

  test("save runs hooks in order", async () => {
    const note = new Note({ text: "a" });
    await note.save();
    note.text = "b";
    await note.save();

    expect(hookCalls).toEqual([
      "beforeSave:a:true",
      "afterSave:a:true",
      "afterCommit:a:insert",
      "beforeSave:b:false",
      "afterSave:b:false",
      "afterCommit:b:update",
    ]);
  });

  test("create runs save hooks", async () => {
    await Note.objects.create({ text: "made" });

    expect(hookCalls).toEqual(["beforeSave:made:true", "afterSave:made:true", "afterCommit:made:insert"]);
  });

  test("beforeSave changes reach the row", async () => {
    const note = await withContext({ actor: "ana" }, () => Note.objects.create({ text: "stamped" }));
    const stored = await Note.objects.get({ id: note.id });

    expect(stored.stampedBy).toBe("ana");
  });

  test("throwing beforeSave prevents the write", async () => {
    await expect(Note.objects.create({ text: "reject" })).rejects.toThrow("rejected by beforeSave");

    expect(await Note.objects.count()).toBe(0);
    expect(hookCalls).toEqual(["beforeSave:reject:true"]);
  });

  test("delete runs delete hooks", async () => {
    const note = await Note.objects.create({ text: "gone" });
    hookCalls.length = 0;
    await note.delete();

    expect(hookCalls).toEqual(["beforeDelete:gone", "afterDelete:gone:false", "afterCommit:gone:delete"]);
    expect(await Note.objects.count()).toBe(0);
  });

  test("afterCommit waits for the outermost commit", async () => {
    await db().transaction(async () => {
      await Note.objects.create({ text: "outer" });
      await db().transaction(async () => {
        await Note.objects.create({ text: "inner" });
      });

      expect(hookCalls.filter((call) => call.startsWith("afterCommit"))).toEqual([]);
    });

    expect(hookCalls.filter((call) => call.startsWith("afterCommit"))).toEqual([
      "afterCommit:outer:insert",
      "afterCommit:inner:insert",
    ]);
  });

  test("afterCommit never runs after a rollback", async () => {
    await expect(
      db().transaction(async () => {
        await Note.objects.create({ text: "undone" });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    await db().transaction(async () => {
      await Note.objects.create({ text: "kept" });
      await db()
        .transaction(async () => {
          await Note.objects.create({ text: "savepoint undone" });
          throw new Error("inner");
        })
        .catch(() => undefined);
    });

    const commits = hookCalls.filter((call) => call.startsWith("afterCommit"));
    expect(commits).toEqual(["afterCommit:kept:insert"]);
    expect(await Note.objects.count()).toBe(1);
  });

  test("Model.on hooks run and can be removed", async () => {
    const seen: string[] = [];
    const off = Counter.on("afterSave", (counter, { created }) => {
      seen.push(`${counter.name}:${created}`);
    });

    const counter = await Counter.objects.create({ name: "c1" });
    counter.count = 1;
    await counter.save();
    off();
    await Counter.objects.create({ name: "c2" });

    expect(seen).toEqual(["c1:true", "c1:false"]);
  });

  test("global hooks see every model", async () => {
    const seen: string[] = [];
    const off = hooks.on("beforeSave", (instance) => {
      seen.push(instance.constructor.name);
    });

    try {
      await Counter.objects.create({ name: "c" });
      await Note.objects.create({ text: "n" });
    } finally {
      off();
    }

    await Counter.objects.create({ name: "after off" });

    expect(seen).toEqual(["Counter", "Note"]);
  });

  test("a throwing afterSave rolls the save back", async () => {
    const off = Counter.on("afterSave", () => {
      throw new Error("afterSave failed");
    });

    try {
      await expect(Counter.objects.create({ name: "rolled back" })).rejects.toThrow("afterSave failed");
    } finally {
      off();
    }

    expect(await Counter.objects.count()).toBe(0);
  });

  test("bulk writes run no hooks", async () => {
    const notes = await Note.objects.bulkCreate([{ text: "x" }, { text: "y" }]);
    await Note.objects.filter({ text: "x" }).update({ text: "z" });
    await Note.objects.bulkUpdate(notes, ["text"]);
    await Note.objects.filter({ text: "y" }).delete();

    expect(hookCalls).toEqual([]);
  });

  test("unknown hook names raise", () => {
    expect(() => hooks.on("beforeSaving" as never, () => undefined)).toThrow('Unknown hook "beforeSaving"');
  });
});

eachDialect("request context", ({ db }) => {
  afterEach(() => clearLifecycleTables(db()));

  test("currentContext is empty outside withContext", () => {
    expect(currentContext()).toEqual({});
  });

  test("nested contexts merge and unwind", async () => {
    await withContext({ actor: "ana", tenant: "acme" }, async () => {
      await withContext({ actor: "bo" }, async () => {
        expect(currentContext()).toEqual({ actor: "bo", tenant: "acme" });
      });

      expect(currentContext()).toEqual({ actor: "ana", tenant: "acme" });
    });

    expect(currentContext()).toEqual({});
  });

  test("field defaults read the context", async () => {
    const inside = await withContext({ tenant: "acme" }, () => Note.objects.create({ text: "t" }));
    const outside = await Note.objects.create({ text: "u" });

    expect(inside.tenant).toBe("acme");
    expect(outside.tenant).toBe("none");
  });

  test("concurrent requests keep their own context", async () => {
    const tenants = ["t1", "t2", "t3", "t4", "t5"];

    await Promise.all(
      tenants.map((tenant, index) =>
        withContext({ tenant, actor: `user${index}` }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5 * (tenants.length - index)));
          await Note.objects.create({ text: tenant });
        }),
      ),
    );

    const notes = await Note.objects.orderBy("text").all();
    expect(notes.map((note) => [note.text, note.tenant, note.stampedBy])).toEqual(
      tenants.map((tenant, index) => [tenant, tenant, `user${index}`]),
    );
  });
});

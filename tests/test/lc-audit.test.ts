import { withContext } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Article, AuditLogEntry, Writer, clearLifecycleTables } from "../src/lifecycle-models";

eachDialect("audit", ({ db }) => {
  afterEach(() => clearLifecycleTables(db()));

  async function writer() {
    return Writer.objects.create({ username: "ana" });
  }

  function entriesOf(id: number) {
    return AuditLogEntry.objects.filter({ model: "Article", objectId: String(id) }).orderBy("id").all();
  }

  test("audit fields come from the context", async () => {
    const ana = await writer();
    const article = await withContext({ actor: 7 }, () => Article.objects.create({ title: "a", writer: ana }));
    const createdAt = article.updatedAt;

    expect(article.createdBy).toBe("7");
    expect(article.updatedBy).toBe("7");

    await new Promise((resolve) => setTimeout(resolve, 5));
    article.title = "b";
    await withContext({ actor: "bo" }, () => article.save());
    const stored = await Article.objects.get({ id: article.id });

    expect(stored.createdBy).toBe("7");
    expect(stored.updatedBy).toBe("bo");
    expect(stored.updatedAt.getTime()).toBeGreaterThan(createdAt.getTime());
  });

  test("audit fields are null without an actor", async () => {
    const article = await Article.objects.create({ title: "a", writer: await writer() });

    expect(article.createdBy).toBeNull();
    expect(article.updatedBy).toBeNull();
  });

  test("log records insert, update and deletes", async () => {
    const ana = await writer();
    const article = await withContext({ actor: "ana", tenant: "acme" }, async () => {
      const created = await Article.objects.create({ title: "first", writer: ana });
      created.title = "second";
      await created.save();
      await created.delete();
      await created.restore();
      await created.hardDelete();

      return created;
    });
    const entries = await entriesOf(article.id);

    expect(entries.map((entry) => entry.action)).toEqual(["insert", "update", "softDelete", "update", "delete"]);
    expect(entries.every((entry) => entry.actor === "ana" && entry.tenant === "acme")).toBe(true);
    expect(entries[0]!.changes.title).toEqual({ old: null, new: "first" });
    expect(entries[1]!.changes.title).toEqual({ old: "first", new: "second" });
    expect(entries[1]!.changes.updatedBy).toBeUndefined();
    expect(entries[2]!.changes.deletedAt!.old).toBeNull();
    expect(typeof entries[2]!.changes.deletedAt!.new).toBe("string");
    expect(entries[3]!.changes.deletedAt!.new).toBeNull();
    expect(entries[4]!.changes).toEqual({});
    expect(entries[0]!.at).toBeInstanceOf(Date);
  });

  test("updates of loaded rows log old values", async () => {
    const ana = await writer();
    const { id } = await Article.objects.create({ title: "old", writer: ana });
    const loaded = await Article.objects.get({ id });
    loaded.title = "new";
    // updatedAt has millisecond precision, so a save in the same
    // millisecond as the insert would leave it unchanged.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await loaded.save();
    const [, update] = await entriesOf(id);

    expect(update!.changes.title).toEqual({ old: "old", new: "new" });
    expect(Object.keys(update!.changes).sort()).toEqual(["title", "updatedAt"]);
  });

  test("unchanged saves and excluded fields log nothing", async () => {
    const article = await Article.objects.create({ title: "same", writer: await writer() });
    article.views = 10;
    await article.save({ fields: ["views"] });
    await article.save();
    article.title = "changed";
    await article.save();

    const entries = await entriesOf(article.id);
    expect(entries.map((entry) => entry.action)).toEqual(["insert", "update"]);
    expect(entries[1]!.changes.title).toEqual({ old: "same", new: "changed" });
    expect(entries[1]!.changes.views).toBeUndefined();
  });

  test("a rolled-back change leaves no entry", async () => {
    const ana = await writer();

    await expect(
      db().transaction(async () => {
        await Article.objects.create({ title: "never", writer: ana });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    expect(await Article.withDeleted().count()).toBe(0);
    expect(await AuditLogEntry.objects.count()).toBe(0);
  });

  test("a failing hook undoes change and entry", async () => {
    const article = await Article.objects.create({ title: "kept", writer: await writer() });
    const off = Article.on("afterSave", () => {
      throw new Error("hook failed");
    });

    try {
      article.title = "lost";
      await expect(article.save()).rejects.toThrow("hook failed");
    } finally {
      off();
    }

    expect((await Article.objects.get({ id: article.id })).title).toBe("kept");
    expect((await entriesOf(article.id)).map((entry) => entry.action)).toEqual(["insert"]);
  });

  test("bulk writes leave no entries", async () => {
    const ana = await writer();
    await Article.objects.bulkCreate([{ title: "x", writer: ana }]);
    await Article.objects.update({ title: "y" });

    expect(await AuditLogEntry.objects.count()).toBe(0);
  });
});

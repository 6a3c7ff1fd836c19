import { DoesNotExist, MultipleObjectsReturned, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Post, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

eachDialect("crud", ({ db }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("create assigns generated ids", async () => {
    const author = await Author.objects.create({ username: "dee" });

    expect(typeof author.id).toBe("number");
    expect(author.id).toBeGreaterThan(data.cy.id);
    expect(author.karma).toBe(0);
    expect(author.email).toBeNull();
    expect(author.createdAt).toBeInstanceOf(Date);
  });

  test("bulkCreate returns ids in order", async () => {
    const authors = await Author.objects.bulkCreate(
      Array.from({ length: 25 }, (_, index) => ({ username: `bulk${index}` })),
    );
    const ids = authors.map((author) => author.id);

    expect(new Set(ids).size).toBe(25);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const stored = await Author.objects.filter({ id__in: ids }).orderBy("id").valuesList("id", "username");

    expect(stored.map(([, username]) => username)).toEqual(authors.map((author) => author.username));
  });

  test("get finds one row or raises", async () => {
    const found = await Author.objects.get({ username: "ana" });

    expect(found.id).toBe(data.ana.id);
    expect(found.handle).toBe("@ana");
    await expect(Author.objects.get({ username: "nobody" })).rejects.toBeInstanceOf(DoesNotExist);
    await expect(Author.objects.get({ karma__gte: 0 })).rejects.toBeInstanceOf(MultipleObjectsReturned);
  });

  test("save inserts then updates with onUpdate", async () => {
    const author = new Author({ username: "eve", karma: 1 });
    await author.save();
    const firstUpdate = author.updatedAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    author.karma = 2;
    await author.save();
    const reloaded = await Author.objects.get({ id: author.id });

    expect(reloaded.karma).toBe(2);
    expect(reloaded.updatedAt.getTime()).toBeGreaterThan(firstUpdate.getTime());
  });

  test("refresh reloads column values", async () => {
    const author = await Author.objects.get({ username: "bo" });
    await Author.objects.filter({ id: author.id }).update({ karma: 42 });
    await author.refresh();

    expect(author.karma).toBe(42);
  });

  test("delete removes the row and cascades", async () => {
    const removed = await data.ana.delete();

    expect(removed).toBe(1);
    expect(await Author.objects.filter({ username: "ana" }).exists()).toBe(false);
    expect(await Post.objects.filter({ authorId: data.ana.id }).count()).toBe(0);
    expect((await Post.objects.get({ title: "ÉCOLE straße" })).editorId).toBeNull();
  });

  test("update returns matched rows, equal values included", async () => {
    const first = await Post.objects.filter({ authorId: data.ana.id }).update({ views: 1 });
    const again = await Post.objects.filter({ authorId: data.ana.id }).update({ views: 1 });

    expect(first).toBe(2);
    expect(again).toBe(2);
  });

  test("update across a relation", async () => {
    const changed = await Post.objects.filter({ author__username: "bo" }).update({ published: true });

    expect(changed).toBe(2);
    expect(await Post.objects.filter({ published: true }).count()).toBe(4);
  });

  test("delete returns the deleted count", async () => {
    expect(await Post.objects.filter({ views__lt: 10 }).delete()).toBe(2);
    expect(await Post.objects.count()).toBe(3);
  });

  test("getOrCreate and updateOrCreate", async () => {
    const [existing, createdFirst] = await Author.objects.getOrCreate({ username: "ana" }, { karma: 99 });
    const [fresh, createdSecond] = await Author.objects.getOrCreate({ username: "fay" }, { karma: 3 });

    expect(createdFirst).toBe(false);
    expect(existing.karma).toBe(10);
    expect(createdSecond).toBe(true);
    expect(fresh.karma).toBe(3);

    const [updated, created] = await Author.objects.updateOrCreate({ username: "ana" }, { karma: 11 });

    expect(created).toBe(false);
    expect(updated.karma).toBe(11);
    expect((await Author.objects.get({ username: "ana" })).karma).toBe(11);
  });

  test("toDict and toJSON", async () => {
    const post = await Post.objects.get({ title: "Hello ORM" });

    expect(post.toDict()).toMatchObject({ title: "Hello ORM", authorId: data.ana.id, views: 100 });
    expect(JSON.parse(JSON.stringify(post))).toMatchObject({
      publishedAt: "2024-03-05T10:00:00.000Z",
      meta: { lang: "en", stars: 5 },
    });
  });

  test("invalid values fail before any SQL", async () => {
    const statements: string[] = [];
    const listener = (event: { sql: string }) => statements.push(event.sql);
    db().on("query", listener);

    try {
      await expect(Author.objects.create({ username: "x".repeat(51) })).rejects.toBeInstanceOf(ValidationError);
      await expect(Post.objects.filter({ views: 1 }).update({ views: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    } finally {
      db().off("query", listener);
    }

    expect(statements).toEqual([]);
  });
});

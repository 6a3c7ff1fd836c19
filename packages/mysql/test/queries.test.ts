import { Model, ValidationError, field, manager, type ModelClass, type QueryEvent } from "@chakra-orm/core";
import { describeServer, useTestDatabase } from "./server.js";

class Author extends Model.define("authors", {
  id: field.id(),
  name: field.string({ maxLength: 100 }),
  rank: field.integer({ default: 0 }),
  profile: field.json({ nullable: true }),
  books: field.reverse((): ModelClass<Book> => Book, "author"),
}) {
  static objects = manager(this);

  get shout(): string {
    return this.name.toUpperCase();
  }
}

class Book extends Model.define("books", {
  id: field.id(),
  title: field.string({ maxLength: 200 }),
  author: field.foreignKey(() => Author, { relatedName: "books" }),
}) {
  static objects = manager(this);
}

describeServer("MySQL queries", () => {
  const handle = useTestDatabase("queries");

  beforeEach(async () => {
    await Book.objects.delete();
    await Author.objects.delete();
  });

  test("create, read, save, delete", async () => {
    const author = await Author.objects.create({ name: "Ada" });
    expect(typeof author.id).toBe("number");

    const loaded = await Author.objects.get({ id: author.id });
    expect(loaded.shout).toBe("ADA");

    loaded.name = "Ada Lovelace";
    await loaded.save();
    expect((await Author.objects.get({ id: author.id })).name).toBe("Ada Lovelace");

    expect(await Author.objects.filter({ id: author.id }).delete()).toBe(1);
    expect(await Author.objects.count()).toBe(0);
  });

  test("bulkCreate 5000 rows returns ids", async () => {
    const authors = await Author.objects.bulkCreate(
      Array.from({ length: 5000 }, (_, index) => ({ name: `author ${index}`, rank: index })),
    );
    const stored = await Author.objects.orderBy("id").valuesList("id", "rank");

    expect(authors).toHaveLength(5000);
    expect(new Set(authors.map((item) => item.id)).size).toBe(5000);
    expect(stored.map((row) => row[0])).toEqual(authors.map((item) => item.id));
    expect(stored.map((row) => row[1])).toEqual(authors.map((item) => item.rank));
  });

  test("bulkCreate inserts one row per statement under lock mode 2", async () => {
    const server = handle.dialect.driver.serverInfo!;
    const statements: string[] = [];
    const listener = (event: QueryEvent) => statements.push(event.sql);
    handle.dialect.driver.serverInfo = { ...server, autoincLockMode: 2 };
    handle.db.on("query", listener);

    try {
      const authors = await Author.objects.bulkCreate([{ name: "a" }, { name: "b" }, { name: "c" }]);
      const stored = await Author.objects.orderBy("id").valuesList("id", "name");

      expect(statements.filter((sql) => sql.startsWith("insert"))).toHaveLength(3);
      expect(stored).toEqual(authors.map((item) => [item.id, item.name]));
    } finally {
      handle.db.off("query", listener);
      handle.dialect.driver.serverInfo = server;
    }
  });

  test("generatedIds steps by auto_increment_increment", () => {
    const server = handle.dialect.driver.serverInfo!;
    handle.dialect.driver.serverInfo = { ...server, autoIncrementIncrement: 10 };

    try {
      expect(handle.dialect.generatedIds(5, 3)).toEqual([5, 15, 25]);
      expect(handle.dialect.generatedIds(5n, 2)).toEqual([5n, 15n]);
    } finally {
      handle.dialect.driver.serverInfo = server;
    }
  });

  test("update counts matched rows", async () => {
    await Author.objects.bulkCreate([{ name: "same" }, { name: "same" }, { name: "other" }]);

    expect(await Author.objects.filter({ name: "same" }).update({ name: "same" })).toBe(2);
    expect(await Author.objects.filter({ name: "missing" }).update({ name: "x" })).toBe(0);
  });

  test("update through a join avoids error 1093", async () => {
    const ada = await Author.objects.create({ name: "Ada" });
    const bob = await Author.objects.create({ name: "Bob" });
    await Book.objects.create({ title: "Notes", author: ada });

    expect(await Author.objects.filter({ books__title: "Notes" }).update({ rank: 7 })).toBe(1);
    expect((await Author.objects.get({ id: ada.id })).rank).toBe(7);
    expect(await Book.objects.filter({ author__name: "Ada" }).delete()).toBe(1);
    expect((await Author.objects.get({ id: bob.id })).rank).toBe(0);
  });

  test("icontains folds Unicode case", async () => {
    await Author.objects.bulkCreate([{ name: "ÄRGER" }, { name: "ärger" }, { name: "Café" }, { name: "Cafe" }]);

    expect(await Author.objects.filter({ name__icontains: "äRG" }).count()).toBe(2);
    expect(await Author.objects.filter({ name__iexact: "CAFÉ" }).valuesList("name")).toEqual([["Café"]]);
    expect(await Author.objects.filter({ name__icontains: "é" }).count()).toBe(1);
  });

  test("contains is case- and accent-sensitive", async () => {
    await Author.objects.bulkCreate([{ name: "Ärger" }, { name: "ärger" }, { name: "Café" }, { name: "Cafe" }]);

    expect(await Author.objects.filter({ name__contains: "Ä" }).valuesList("name")).toEqual([["Ärger"]]);
    expect(await Author.objects.filter({ name__endswith: "e" }).valuesList("name")).toEqual([["Cafe"]]);
    expect(await Author.objects.filter({ name: "cafe" }).count()).toBe(0);
  });

  test("contains escapes wildcards", async () => {
    await Author.objects.bulkCreate([{ name: "50% off" }, { name: "500 off" }, { name: "a_b" }, { name: "axb" }, { name: "wow!" }]);

    expect(await Author.objects.filter({ name__contains: "50%" }).valuesList("name")).toEqual([["50% off"]]);
    expect(await Author.objects.filter({ name__icontains: "A_B" }).valuesList("name")).toEqual([["a_b"]]);
    expect(await Author.objects.filter({ name__endswith: "!" }).valuesList("name")).toEqual([["wow!"]]);
  });

  test("regex is case-sensitive, iregex is not", async () => {
    await Author.objects.bulkCreate([{ name: "Alpha" }, { name: "alpha" }, { name: "beta" }]);

    expect(await Author.objects.filter({ name__regex: "^A" }).valuesList("name")).toEqual([["Alpha"]]);
    expect(await Author.objects.filter({ name__iregex: "^a" }).count()).toBe(2);
  });

  test("limit, offset and counts", async () => {
    await Author.objects.bulkCreate(Array.from({ length: 10 }, (_, index) => ({ name: `n${index}`, rank: index })));

    expect((await Author.objects.orderBy("rank").offset(7).all()).map((item) => item.rank)).toEqual([7, 8, 9]);
    expect((await Author.objects.orderBy("rank").limit(2).offset(3).all()).map((item) => item.rank)).toEqual([3, 4]);
    expect(await Author.objects.offset(8).count()).toBe(2);
  });

  test("JSON key path lookups", async () => {
    await Author.objects.bulkCreate([
      { name: "a", profile: { city: "Oslo", age: 30, admin: true, tags: ["x", "y"], "dotted.key": 1, nested: { level: "deep" } } },
      { name: "b", profile: { city: "oslo", age: 41, admin: false, tags: [], nested: null } },
      { name: "c", profile: { age: "30" } },
    ]);
    const names = async (filter: Record<string, unknown>) =>
      (await Author.objects.filter(filter as never).orderBy("name").valuesList("name")).map((row) => row[0]);

    expect(await names({ profile__city: "Oslo" })).toEqual(["a"]);
    expect(await names({ profile__city__iexact: "OSLO" })).toEqual(["a", "b"]);
    expect(await names({ profile__age: 30 })).toEqual(["a"]);
    expect(await names({ profile__age__gt: 35 })).toEqual(["b"]);
    expect(await names({ profile__admin: true })).toEqual(["a"]);
    expect(await names({ profile__tags: ["x", "y"] })).toEqual(["a"]);
    expect(await names({ profile__tags__0: "x" })).toEqual(["a"]);
    expect(await names({ profile__nested__level: "deep" })).toEqual(["a"]);
    expect(await names({ profile__nested: null })).toEqual(["b"]);
    expect(await names({ profile__city__isnull: true })).toEqual(["c"]);
    expect(await names({ "profile__dotted.key": 1 })).toEqual(["a"]);
    expect(await names({ profile__city__in: ["Oslo", "Rome"] })).toEqual(["a"]);
    expect(await names({ profile__city__startswith: "o" })).toEqual(["b"]);
  });

  test("JSON key with a leading dash", async () => {
    await Author.objects.create({ name: "dash", profile: { "-x": 1 } });
    const query = () => Author.objects.filter({ "profile__-x": 1 } as never).count();
    const server = handle.dialect.driver.serverInfo;

    if (server?.mariadb) {
      await expect(query()).rejects.toThrow(ValidationError);
      await expect(query()).rejects.toThrow(/starts with "-"/);
    } else {
      expect(await query()).toBe(1);
    }
  });

  test("default values insert", async () => {
    class Empty extends Model.define("empties", { id: field.id() }) {
      static objects = manager(this);
    }
    await handle.db.createTables();

    const row = await Empty.objects.create({});
    expect(row.id).toBeGreaterThan(0);
  });

  test("createTables twice is harmless", async () => {
    await handle.db.createTables();
    await handle.db.createTables();
    expect(await Book.objects.count()).toBe(0);
  });
});

import { Database, DoesNotExist, Model, OptimisticLockError, Q, field, manager } from "@chakra-orm/core";
import { postgres } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class User extends Model.define("users", {
  id: field.id(),
  username: field.string({ maxLength: 50, unique: true }),
  karma: field.bigInteger({ default: 0n }),
}) {
  static objects = manager(this);

  get handle(): string {
    return `@${this.username}`;
  }
}

class Article extends Model.define("articles", {
  id: field.id(),
  title: field.string({ maxLength: 100 }),
  author: field.foreignKey(() => User, { relatedName: "articles" }),
  version: field.version(),
}) {
  static objects = manager(this);
}

const SUFFIX = "crud";
let db: Database;

describePostgres("postgres CRUD", () => {
  beforeAll(async () => {
    const url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres(url), models: [User, Article] });
    await db.createTables();
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  afterEach(async () => {
    await Article.objects.delete();
    await User.objects.delete();
  });

  test("create returns generated ids", async () => {
    const first = await User.objects.create({ username: "ann" });
    const second = await User.objects.create({ username: "bob" });

    expect(typeof first.id).toBe("number");
    expect(second.id).toBeGreaterThan(first.id);
  });

  test("bulkCreate returns ids in order", async () => {
    const users = await User.objects.bulkCreate(
      Array.from({ length: 50 }, (_, index) => ({ username: `user${index}` })),
      { batchSize: 7 },
    );
    const stored = await User.objects.orderBy("id").all();

    expect(users.map((user) => user.id)).toEqual(stored.map((user) => user.id));
    expect(stored.map((user) => user.username)).toEqual(users.map((user) => user.username));
  });

  test("results are subclass instances", async () => {
    await User.objects.create({ username: "ann" });
    const user = await User.objects.get({ username: "ann" });

    expect(user).toBeInstanceOf(User);
    expect(user.handle).toBe("@ann");
  });

  test("save updates, refresh reloads", async () => {
    const user = await User.objects.create({ username: "ann", karma: 5n });
    user.karma = 2n ** 60n;
    await user.save();
    await User.objects.filter({ id: user.id }).update({ username: "anna" });
    await user.refresh();

    expect(user.karma).toBe(2n ** 60n);
    expect(user.username).toBe("anna");
  });

  test("update and delete return row counts", async () => {
    await User.objects.bulkCreate([{ username: "a1" }, { username: "a2" }, { username: "b1" }]);

    expect(await User.objects.filter({ username__startswith: "a" }).update({ karma: 1n })).toBe(2);
    expect(await User.objects.filter({ karma: 1n }).count()).toBe(2);
    expect(await User.objects.filter({ username: "b1" }).delete()).toBe(1);
    expect(await User.objects.count()).toBe(2);
  });

  test("get raises DoesNotExist", async () => {
    await expect(User.objects.get({ username: "nobody" })).rejects.toBeInstanceOf(DoesNotExist);
  });

  test("relations join and filter", async () => {
    const ann = await User.objects.create({ username: "ann" });
    await Article.objects.bulkCreate([
      { title: "one", author: ann },
      { title: "two", authorId: ann.id },
    ]);
    const articles = await Article.objects.selectRelated("author").orderBy("title").all();
    const users = await User.objects.filter(Q.of({ articles__title__in: ["one", "two"] })).all();

    expect(articles.map((article) => article.title)).toEqual(["one", "two"]);
    expect((await articles[0]!.load("author") as User).username).toBe("ann");
    expect(users).toHaveLength(1);
  });

  test("deleting a user cascades", async () => {
    const ann = await User.objects.create({ username: "ann" });
    await Article.objects.create({ title: "one", author: ann });
    await ann.delete();

    expect(await Article.objects.count()).toBe(0);
  });

  test("version field detects a stale save", async () => {
    const ann = await User.objects.create({ username: "ann" });
    const article = await Article.objects.create({ title: "one", author: ann });
    const stale = await Article.objects.get({ id: article.id });
    article.title = "fresh";
    await article.save();
    stale.title = "stale";

    await expect(stale.save()).rejects.toBeInstanceOf(OptimisticLockError);
    expect((await Article.objects.get({ id: article.id })).version).toBe(2);
  });

  test("values, first, last and exists", async () => {
    await User.objects.bulkCreate([{ username: "a", karma: 3n }, { username: "b", karma: 1n }]);

    expect(await User.objects.orderBy("username").valuesList("username", "karma")).toEqual([["a", 3n], ["b", 1n]]);
    expect((await User.objects.orderBy("karma").first())?.username).toBe("b");
    expect((await User.objects.orderBy("karma").last())?.username).toBe("a");
    expect(await User.objects.filter({ username: "z" }).exists()).toBe(false);
  });

  test("raw sql binds values", async () => {
    await User.objects.create({ username: "ann" });
    const rows = await db.sql<{ n: string }>`select count(*) as n from users where username = ${"ann"}`;

    expect(rows).toEqual([{ n: "1" }]);
  });

  test("selectForUpdate locks in a transaction", async () => {
    const ann = await User.objects.create({ username: "ann" });

    await db.transaction(async () => {
      const locked = await User.objects.filter({ id: ann.id }).selectForUpdate({ nowait: true }).all();
      expect(locked).toHaveLength(1);
    });
  });
});

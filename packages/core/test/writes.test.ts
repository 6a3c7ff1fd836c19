import { ValidationError } from "../src/index.js";
import { Post, User } from "./support/models.js";
import { createTestDatabase } from "./support/test-dialect.js";

const JOINED = new Date("2020-01-01T00:00:00.000Z");

describe("update and delete", () => {
  const { db, driver, queries } = createTestDatabase();

  beforeEach(() => {
    queries.length = 0;
  });

  test("update without joins", async () => {
    await Post.objects.using(db).filter({ views__lt: 5 }).update({ views: 5, title: "t" });

    expect(queries).toEqual([
      { sql: 'update "posts" set "views" = ?, "title" = ? where "posts"."views" < ?', params: [5, "t", 5] },
    ]);
  });

  test("update with a join uses a key subquery", async () => {
    await Post.objects.using(db).filter({ author__username: "x" }).update({ views: 3 });

    expect(queries).toEqual([
      {
        sql:
          'update "posts" set "views" = ? where "posts"."id" in (select "posts"."id" from "posts"' +
          ' left join "users" as "j1" on "j1"."id" = "posts"."author_id" where "j1"."username" = ?)',
        params: [3, "x"],
      },
    ]);
  });

  test("delete with a join uses a key subquery", async () => {
    await Post.objects.using(db).filter({ author__username: "x" }).delete();

    expect(queries).toEqual([
      {
        sql:
          'delete from "posts" where "posts"."id" in (select "posts"."id" from "posts"' +
          ' left join "users" as "j1" on "j1"."id" = "posts"."author_id" where "j1"."username" = ?)',
        params: ["x"],
      },
    ]);
  });

  test("delete across a reverse relation", async () => {
    await User.objects.using(db).filter({ posts__views: 0 }).delete();

    expect(queries[0]!.sql).toBe(
      'delete from "users" where exists (select 1 from "posts" as "s1" where ("s1"."author_id" = "users"."id" and "s1"."views" = ?))',
    );
  });

  test("delete everything", async () => {
    await User.objects.using(db).delete();

    expect(queries).toEqual([{ sql: 'delete from "users"', params: [] }]);
  });

  test("update validates values", async () => {
    await expect(Post.objects.using(db).update({ views: 1.5 })).rejects.toThrow(ValidationError);
    expect(queries).toEqual([]);
  });

  test("update rejects the primary key", async () => {
    await expect(Post.objects.using(db).update({ id: 1 } as never)).rejects.toThrow(
      'Post.objects.update(): unknown or read-only field "id".',
    );
  });

  test("update of a sliced query rejected", async () => {
    await expect(Post.objects.using(db).limit(1).update({ views: 1 })).rejects.toThrow("cannot update a sliced query");
  });

  test("update with a model instance for a foreign key", async () => {
    const author = new User({ id: 9, username: "a", email: "b" });
    await Post.objects.using(db).update({ author });

    expect(queries).toEqual([{ sql: 'update "posts" set "author_id" = ?', params: [9] }]);
  });

  test("update returns the matched row count", async () => {
    driver.responder = () => ({ rows: [], rowCount: 4 });

    try {
      expect(await Post.objects.using(db).update({ views: 1 })).toBe(4);
    } finally {
      driver.responder = undefined;
    }
  });
});

describe("inserts", () => {
  test("create binds every column", async () => {
    const { db, queries } = createTestDatabase({ name: "create" });
    const user = await User.objects.using(db).create({ username: "ann", email: "a@example.com", joinedAt: JOINED });

    expect(queries).toEqual([
      {
        sql: 'insert into "users" ("username", "email", "bio", "joined_at") values (?, ?, ?, ?) returning "id"',
        params: ["ann", "a@example.com", null, "2020-01-01T00:00:00.000Z"],
      },
    ]);
    expect(user.id).toBe(1);
  });

  test("bulkCreate in one statement when it fits", async () => {
    const { db, queries } = createTestDatabase({ name: "bulk-one" });
    const users = await User.objects
      .using(db)
      .bulkCreate([1, 2].map((index) => ({ username: `u${index}`, email: "e", joinedAt: JOINED })));

    expect(queries.map((query) => query.sql)).toEqual([
      'insert into "users" ("username", "email", "bio", "joined_at") values (?, ?, ?, ?), (?, ?, ?, ?) returning "id"',
    ]);
    expect(users.map((user) => user.id)).toEqual([1, 2]);
  });

  test("bulkCreate chunks by maxParameters in a transaction", async () => {
    const { db, queries, statements } = createTestDatabase({ name: "bulk-chunks", maxParameters: 9 });
    await User.objects
      .using(db)
      .bulkCreate([1, 2, 3, 4, 5].map((index) => ({ username: `u${index}`, email: "e", joinedAt: JOINED })));
    const insert = 'insert into "users" ("username", "email", "bio", "joined_at") values';

    expect(statements).toEqual([
      "begin",
      `${insert} (?, ?, ?, ?), (?, ?, ?, ?) returning "id"`,
      `${insert} (?, ?, ?, ?), (?, ?, ?, ?) returning "id"`,
      `${insert} (?, ?, ?, ?) returning "id"`,
      "commit",
    ]);
    expect(queries[3]!.params).toEqual(["u5", "e", null, "2020-01-01T00:00:00.000Z"]);
  });

  test("batchSize below the parameter limit", async () => {
    const { db, statements } = createTestDatabase({ name: "bulk-batch" });
    await User.objects
      .using(db)
      .bulkCreate([1, 2, 3].map((index) => ({ username: `u${index}`, email: "e" })), { batchSize: 1 });

    expect(statements).toHaveLength(5);
    expect(statements[0]).toBe("begin");
    expect(statements[4]).toBe("commit");
  });

  test("invalid row fails before any SQL", async () => {
    const { db, queries } = createTestDatabase({ name: "bulk-invalid" });
    const rows = [{ username: "ok", email: "e" }, { username: "x".repeat(51), email: "e" }];

    await expect(User.objects.using(db).bulkCreate(rows)).rejects.toThrow(ValidationError);
    expect(queries).toEqual([]);
  });

  test("save of a loaded instance updates by key", async () => {
    const { db, driver, queries } = createTestDatabase({ name: "save" });
    const user = await User.objects.using(db).create({ username: "ann", email: "e", joinedAt: JOINED });
    queries.length = 0;
    driver.responder = () => ({ rows: [], rowCount: 1 });
    user.bio = "hi";
    await user.save();

    expect(queries).toEqual([
      {
        sql: 'update "users" set "username" = ?, "email" = ?, "bio" = ?, "joined_at" = ? where "id" = ?',
        params: ["ann", "e", "hi", "2020-01-01T00:00:00.000Z", 1],
      },
    ]);
  });
});

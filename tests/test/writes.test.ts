import {
  LockNotAvailableError,
  NotSupportedError,
  ValidationError,
  sql,
  type Database,
} from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Order, Post, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

/** Runs `hold` in a transaction that stays open until the returned release() is called. */
async function holdTransaction(db: Database, hold: () => Promise<unknown>): Promise<{ release: () => Promise<void> }> {
  let signalReady!: () => void;
  let signalRelease!: () => void;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  const released = new Promise<void>((resolve) => (signalRelease = resolve));
  const done = db.transaction(async () => {
    await hold();
    signalReady();
    await released;
  });
  await Promise.race([ready, done]);

  return {
    release: async () => {
      signalRelease();
      await done;
    },
  };
}

eachDialect("upsert", ({ db, dialect }) => {
  let ana: Author;
  let bo: Author;

  beforeEach(async () => {
    [ana, bo] = (await Author.objects.bulkCreate([
      { username: "ana", karma: 1, email: "ana@example.com" },
      { username: "bo", karma: 2 },
    ])) as [Author, Author];
  });

  afterEach(() => clearTables(db()));

  test("bulkCreate onConflict update", async () => {
    const rows = await Author.objects.bulkCreate(
      [
        { username: "ana", karma: 10, email: "changed@example.com" },
        { username: "cy", karma: 3 },
      ],
      { onConflict: { target: ["username"], update: ["karma"] } },
    );

    expect(rows[0]!.id).toBe(ana.id);
    expect(typeof rows[1]!.id).toBe("number");
    expect(rows[1]!.id).not.toBe(ana.id);
    expect(rows[1]!.id).not.toBe(bo.id);

    const stored = await Author.objects.orderBy("username").valuesList("id", "username", "karma", "email");

    expect(stored).toEqual([
      [ana.id, "ana", 10, "ana@example.com"],
      [bo.id, "bo", 2, null],
      [rows[1]!.id, "cy", 3, null],
    ]);
  });

  test("onConflict update sets onUpdate fields", async () => {
    const before = (await Author.objects.get({ username: "ana" })).updatedAt.getTime();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Author.objects.bulkCreate([{ username: "ana", karma: 4 }], { onConflict: { target: ["username"], update: ["karma"] } });
    const after = await Author.objects.get({ username: "ana" });

    expect(after.karma).toBe(4);
    expect(after.updatedAt.getTime()).toBeGreaterThan(before);
  });

  test("onConflict ignore keeps existing rows", async () => {
    const rows = await Author.objects.bulkCreate(
      [
        { username: "bo", karma: 99 },
        { username: "dee", karma: 4 },
      ],
      { onConflict: { target: ["username"], ignore: true } },
    );

    expect(rows[0]!.id).toBe(bo.id);
    expect(typeof rows[1]!.id).toBe("number");
    expect(await Author.objects.orderBy("username").valuesList("username", "karma")).toEqual([
      ["ana", 1],
      ["bo", 2],
      ["dee", 4],
    ]);
    expect(rows[1]!.id).toBe((await Author.objects.get({ username: "dee" })).id);
  });

  test("explicit id on a conflicting row gets the stored id", async () => {
    const [row] = await Author.objects.bulkCreate([{ id: 9_999, username: "ana", karma: 5 }], {
      onConflict: { target: ["username"], update: ["karma"] },
    });

    expect(row!.id).toBe(ana.id);
    expect(await Author.objects.filter({ id: 9_999 }).exists()).toBe(false);
  });

  test("upsert on uniqueTogether with reserved words", async () => {
    await Order.objects.bulkCreate([
      { group: "a", user: "u1", select: 1 },
      { group: "a", user: "u2", select: 2 },
    ]);
    const rows = await Order.objects.bulkCreate(
      [
        { group: "a", user: "u2", select: 20 },
        { group: "b", user: "u1", select: 30 },
      ],
      { onConflict: { target: ["group", "user"], update: ["select"] } },
    );
    const stored = await Order.objects.orderBy("group", "user").valuesList("id", "group", "user", "select");

    expect(stored.map(([, group, user, select]) => [group, user, select])).toEqual([
      ["a", "u1", 1],
      ["a", "u2", 20],
      ["b", "u1", 30],
    ]);
    expect(rows.map((row) => row.id)).toEqual([stored[1]![0], stored[2]![0]]);
  });

  test("upsert returns the stored row", async () => {
    const updated = await Author.objects.upsert(
      { username: "ana", karma: 7, email: "ignored@example.com" },
      { target: ["username"], update: ["karma"] },
    );

    expect(updated).toBeInstanceOf(Author);
    expect(updated.id).toBe(ana.id);
    expect(updated.karma).toBe(7);
    expect(updated.email).toBe("ana@example.com");
    expect(updated.handle).toBe("@ana");

    const inserted = await Author.objects.upsert({ username: "eve", karma: 8 }, { target: ["username"], update: ["karma"] });

    expect(inserted.id).toBe((await Author.objects.get({ username: "eve" })).id);
    expect(inserted.karma).toBe(8);
    expect(await Author.objects.count()).toBe(3);
  });

  test("target must be a unique key", async () => {
    const attempt = Author.objects.bulkCreate([{ username: "x", email: "a@b.c" }], {
      onConflict: { target: ["email"], update: ["karma"] },
    });

    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toThrow(/target \[ 'email' \] is not a unique key of Author/);
    await expect(attempt).rejects.toMatchObject({ field: "email", model: "Author" });
    await expect(
      Author.objects.bulkCreate([{ username: "x" }], { onConflict: { target: ["nope" as "username"], update: ["karma"] } }),
    ).rejects.toThrow(/unknown field 'nope'/);
  });

  test("invalid onConflict options raise before SQL", async () => {
    const target = ["username"] as const;

    await expect(Author.objects.bulkCreate([{ username: "x" }], { onConflict: { target } })).rejects.toThrow(/needs update/);
    await expect(
      Author.objects.bulkCreate([{ username: "x" }], { onConflict: { target, update: ["karma"], ignore: true } }),
    ).rejects.toThrow(/both ignore and update/);
    await expect(
      Author.objects.bulkCreate([{ username: "x" }], { onConflict: { target, update: ["id"] } }),
    ).rejects.toThrow(/cannot change the primary key/);
    await expect(
      Author.objects.bulkCreate([{ username: "x" }, { username: "x" }], { onConflict: { target, update: ["karma"] } }),
    ).rejects.toThrow(/two rows share/);
    await expect(
      Order.objects.bulkCreate([{ group: "g", user: null as unknown as string }], {
        onConflict: { target: ["group", "user"], ignore: true },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await Author.objects.count()).toBe(2);
  });

  test("compiled upsert SQL", () => {
    const compiled = db().dialect.compiler.compile({
      kind: "insert",
      table: "authors",
      columns: ["username", "karma"],
      rows: [[{ kind: "value", value: "a" }, { kind: "value", value: 1 }]],
      returning: [],
      onConflict: { target: ["username"], update: ["karma"], primaryKey: "id" },
    });
    const ignore = db().dialect.compiler.compile({
      kind: "insert",
      table: "authors",
      columns: ["username"],
      rows: [[{ kind: "value", value: "a" }]],
      returning: [],
      onConflict: { target: ["username"], update: [], primaryKey: "id" },
    });

    if (dialect.name === "mysql") {
      expect(compiled.sql).toBe("insert into `authors` (`username`, `karma`) values (?, ?) on duplicate key update `karma` = values(`karma`)");
      expect(ignore.sql).toBe("insert into `authors` (`username`) values (?) on duplicate key update `id` = `id`");
    } else {
      // The postgres compiler may add casts such as $1::text to placeholders.
      const mark = dialect.name === "postgres" ? ["\\$1(::\\w+)?", "\\$2(::\\w+)?"] : ["\\?", "\\?"];
      expect(compiled.sql).toMatch(
        new RegExp(`^insert into "authors" \\("username", "karma"\\) values \\(${mark[0]}, ${mark[1]}\\) on conflict \\("username"\\) do update set "karma" = excluded\\."karma"$`),
      );
      expect(ignore.sql).toMatch(
        new RegExp(`^insert into "authors" \\("username"\\) values \\(${mark[0]}\\) on conflict \\("username"\\) do nothing$`),
      );
    }
  });
});

eachDialect("bulkUpdate", ({ db }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("writes each instance's values", async () => {
    const posts = await Post.objects.orderBy("id").all();
    posts.forEach((post, index) => {
      post.views = 1_000 + index;
      post.title = `T${index}`;
    });
    const matched = await Post.objects.bulkUpdate(posts, ["views", "title"], { batchSize: 2 });
    const stored = await Post.objects.orderBy("id").valuesList("title", "views", "published");

    expect(matched).toBe(5);
    expect(stored).toEqual([
      ["T0", 1000, true],
      ["T1", 1001, true],
      ["T2", 1002, false],
      ["T3", 1003, false],
      ["T4", 1004, true],
    ]);
  });

  test("writes nulls, dates, json and foreign keys", async () => {
    const posts = await Post.objects.orderBy("id").limit(2).all();
    const when = new Date("2020-02-29T12:34:56.789Z");
    posts[0]!.rating = 1.25;
    posts[0]!.publishedAt = null;
    posts[0]!.meta = { lang: "fr" };
    posts[0]!.editor = data.cy;
    posts[1]!.rating = null;
    posts[1]!.publishedAt = when;
    posts[1]!.meta = null;
    posts[1]!.editor = null;

    expect(await Post.objects.bulkUpdate(posts, ["rating", "publishedAt", "meta", "editor"])).toBe(2);

    const [first, second] = await Post.objects.orderBy("id").limit(2).all();

    expect([first!.rating, first!.publishedAt, first!.meta, first!.editorId]).toEqual([1.25, null, { lang: "fr" }, data.cy.id]);
    expect([second!.rating, second!.publishedAt?.toISOString(), second!.meta, second!.editorId]).toEqual([
      null,
      "2020-02-29T12:34:56.789Z",
      null,
      null,
    ]);
  });

  test("sets onUpdate fields", async () => {
    const authors = await Author.objects.all();
    const before = Math.max(...authors.map((author) => author.updatedAt.getTime()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    authors.forEach((author) => (author.karma += 1));

    expect(await Author.objects.bulkUpdate(authors, ["karma"])).toBe(3);

    const stored = await Author.objects.orderBy("username").all();

    expect(stored.map((author) => author.karma)).toEqual([11, 6, 1]);
    stored.forEach((author) => expect(author.updatedAt.getTime()).toBeGreaterThan(before));
  });

  test("counts only rows that still exist", async () => {
    const posts = await Post.objects.orderBy("id").all();
    await posts[0]!.delete();

    expect(await Post.objects.bulkUpdate(posts, ["views"])).toBe(4);
  });

  test("validates before any SQL", async () => {
    const posts = await Post.objects.orderBy("id").all();
    posts[0]!.views = 5;
    posts[1]!.title = "x".repeat(201);

    await expect(Post.objects.bulkUpdate(posts, ["views", "title"])).rejects.toBeInstanceOf(ValidationError);
    expect((await Post.objects.get({ id: posts[0]!.id })).views).toBe(100);
    await expect(Post.objects.bulkUpdate(posts, ["nope" as "title"])).rejects.toThrow(/unknown or read-only field 'nope'/);
    await expect(Post.objects.bulkUpdate(posts, ["id"])).rejects.toThrow(/read-only field 'id'/);
    await expect(Post.objects.bulkUpdate([new Post({ title: "new", author: data.ana })], ["title"])).rejects.toThrow(/has no id/);
    await expect(Post.objects.bulkUpdate([posts[0]!, posts[0]!], ["views"])).rejects.toThrow(/appears twice/);
    await expect(Post.objects.bulkUpdate(posts, [])).rejects.toThrow(/no fields to update/);
  });
});

eachDialect("selectForUpdate", ({ db, dialect }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  if (dialect.name === "sqlite") {
    test("raises NotSupportedError", async () => {
      const attempt = db().transaction(() => Author.objects.selectForUpdate().all());

      await expect(attempt).rejects.toBeInstanceOf(NotSupportedError);
      await expect(attempt).rejects.toMatchObject({ dialect: "sqlite", model: "Author" });
      await expect(attempt).rejects.toThrow(/has no row locks/);
    });

    return;
  }

  test("skipLocked skips the locked row", async () => {
    const holder = await holdTransaction(db(), () => Author.objects.filter({ username: "ana" }).selectForUpdate().all());

    try {
      const seen = await db().transaction(() => Author.objects.selectForUpdate({ skipLocked: true }).orderBy("username").all());

      expect(seen.map((author) => author.username)).toEqual(["bo", "Çelik"]);
    } finally {
      await holder.release();
    }
  });

  test("nowait raises LockNotAvailableError", async () => {
    const holder = await holdTransaction(db(), () => Author.objects.filter({ username: "ana" }).selectForUpdate().all());

    try {
      const attempt = db().transaction(() => Author.objects.filter({ username: "ana" }).selectForUpdate({ nowait: true }).all());

      await expect(attempt).rejects.toBeInstanceOf(LockNotAvailableError);
      await expect(attempt).rejects.toMatchObject({ dialect: dialect.name });

      const free = await db().transaction(() => Author.objects.filter({ username: "bo" }).selectForUpdate({ nowait: true }).all());

      expect(free.map((author) => author.username)).toEqual(["bo"]);
    } finally {
      await holder.release();
    }
  });

  test("of names self or a selectRelated path", async () => {
    const query = Post.objects.selectRelated("author").filter({ title: "Hello ORM" }).selectForUpdate({ of: ["self"] });

    if (dialect.name === "mysql") {
      expect(() => query.toSQL()).toThrow(NotSupportedError);
      expect(() => query.toSQL()).toThrow(/MariaDB has no FOR UPDATE OF/);

      return;
    }

    expect(query.toSQL().sql).toMatch(/ for update of "posts"$/);
    expect(Post.objects.selectRelated("author").selectForUpdate({ of: ["author"] }).toSQL().sql).toMatch(/ for update of "j\d+"$/);
    expect(() => Post.objects.selectForUpdate({ of: ["author"] }).toSQL()).toThrow(/neither "self" nor a selectRelated\(\) path/);

    const holder = await holdTransaction(db(), () => query.all());

    try {
      // Only the post is locked, so its author can still be locked at once.
      const author = await db().transaction(() => Author.objects.filter({ id: data.ana.id }).selectForUpdate({ nowait: true }).all());

      expect(author.map((item) => item.username)).toEqual(["ana"]);
    } finally {
      await holder.release();
    }
  });

  test("nowait and skipLocked together raise", () => {
    expect(() => Author.objects.selectForUpdate({ nowait: true, skipLocked: true })).toThrow(ValidationError);
  });
});

eachDialect("raw", ({ db }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("tagged raw hydrates instances", async () => {
    const posts = await Post.objects.raw`select * from posts where views > ${40} order by views`;

    expect(posts.map((post) => post.title)).toEqual(["50% off: SQL_tricks", "Hello ORM"]);
    expect(posts[0]).toBeInstanceOf(Post);
    expect(posts[1]!.publishedAt?.toISOString()).toBe("2024-03-05T10:00:00.000Z");
    expect(posts[1]!.published).toBe(true);
    expect(posts[1]!.meta).toEqual({ lang: "en", stars: 5 });
    expect(posts[1]!.authorId).toBe(data.ana.id);
    await posts[1]!.load("author");

    expect(posts[1]!.author.username).toBe("ana");
  });

  test("sql fragment and bound values", async () => {
    const hostile = "x' or '1'='1";

    expect(await Post.objects.raw(sql`select * from posts where title = ${hostile}`)).toEqual([]);

    const [post] = await Post.objects.raw(sql`select * from ${sql.identifier("posts")} where title = ${"ÉCOLE straße"}`);

    expect(post!.rating).toBe(4.5);
    expect(post!.editorId).toBe(data.ana.id);
  });

  test("missing columns stay undefined", async () => {
    const [post] = await Post.objects.raw`select id, title, rating from posts where title = ${"Hello ORM"}`;

    expect(post!.title).toBe("Hello ORM");
    expect(post!.rating).toBeNull();
    expect(post!.views).toBeUndefined();
    await expect(Post.objects.raw`select title from posts`).rejects.toThrow(/no "id" column/);
  });
});

eachDialect("explain", ({ db, dialect }) => {
  beforeEach(async () => {
    await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("returns the plan text", async () => {
    const plan = await Post.objects.filter({ views__gt: 10 }).explain();

    expect(typeof plan).toBe("string");

    if (dialect.name === "sqlite") {
      expect(plan).toMatch(/^SCAN posts/);
    } else if (dialect.name === "postgres") {
      expect(plan).toMatch(/^Seq Scan on posts/);
      expect(plan).toMatch(/Filter: \(views > 10\)/);
    } else {
      const [header, row] = plan.split("\n");

      expect(header!.split("\t")).toContain("table");
      expect(row!.split("\t")).toContain("posts");
    }
  });

  test("analyze where supported", async () => {
    const query = Post.objects.filter({ views__gt: 10 });

    if (dialect.name === "sqlite") {
      await expect(query.explain({ analyze: true })).rejects.toBeInstanceOf(NotSupportedError);

      return;
    }

    const plan = await query.explain({ analyze: true });

    if (dialect.name === "postgres") {
      expect(plan).toMatch(/actual time=.* rows=3 loops=1/);
    } else {
      const [header, row] = plan.split("\n");
      const columns = header!.split("\t");

      // MariaDB's ANALYZE adds r_rows, the rows actually read.
      expect(columns).toContain("r_rows");
      expect(row!.split("\t")[columns.indexOf("r_rows")]).toBe("5.00");
    }
  });
});

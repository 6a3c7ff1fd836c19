import { Q, SqlCompiler, ValidationError, sql } from "../src/index.js";
import { Order, Post, User } from "./support/models.js";
import { POST_COLUMNS, POST_ORDER, SELECT_POSTS, SELECT_USERS, USER_COLUMNS } from "./support/sql.js";
import { TestCompiler, createTestDatabase } from "./support/test-dialect.js";

const { db, driver, queries } = createTestDatabase();
const compiler = db.dialect.compiler;

beforeEach(() => {
  queries.length = 0;
});

function validationError(build: () => unknown): ValidationError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);

    return error as ValidationError;
  }

  throw new Error("expected a ValidationError, but nothing was thrown");
}

describe("select shapes", () => {
  test("plain select", () => {
    const compiled = User.objects.toSQL();

    expect(compiled.sql).toBe(SELECT_USERS);
    expect(compiled.params).toEqual([]);
  });

  test("default ordering of the model", () => {
    expect(Post.objects.toSQL().sql).toBe(`${SELECT_POSTS}${POST_ORDER}`);
  });

  test("orderBy with descending key", () => {
    const compiled = User.objects.orderBy("-joinedAt", "username").toSQL();

    expect(compiled.sql).toBe(`${SELECT_USERS} order by "users"."joined_at" desc, "users"."username"`);
  });

  test("orderBy across a foreign key", () => {
    const compiled = Post.objects.orderBy("author__username").toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} left join "users" as "j1" on "j1"."id" = "posts"."author_id" order by "j1"."username"`,
    );
  });

  test("limit and offset are parameters", () => {
    const compiled = User.objects.limit(10).offset(20).toSQL();

    expect(compiled.sql).toBe(`${SELECT_USERS} limit ? offset ?`);
    expect(compiled.params).toEqual([10, 20]);
  });

  test("zero offset is left out", () => {
    expect(User.objects.offset(0).toSQL().sql).toBe(SELECT_USERS);
  });

  test("invalid limit rejected", () => {
    const error = validationError(() => User.objects.limit(-1));

    expect(error.message).toBe("User.objects.limit(): invalid limit -1. Pass a whole number of 0 or more.");
  });

  test("distinct", () => {
    const compiled = User.objects.distinct().filter({ id: 1 }).toSQL();

    expect(compiled.sql).toBe(`select distinct ${USER_COLUMNS} from "users" where "users"."id" = ?`);
    expect(compiled.params).toEqual([1]);
  });

  test("selectForUpdate options", () => {
    expect(User.objects.selectForUpdate({ skipLocked: true }).toSQL().sql).toBe(
      `${SELECT_USERS} for update skip locked`,
    );
    expect(User.objects.selectForUpdate({ nowait: true, of: ["self"] }).toSQL().sql).toBe(
      `${SELECT_USERS} for update of "users" nowait`,
    );
  });

  test("querysets are immutable", () => {
    const base = User.objects.filter({ id: 1 });
    base.filter({ username: "x" });
    base.orderBy("username");

    expect(base.toSQL().sql).toBe(`${SELECT_USERS} where "users"."id" = ?`);
  });
});

describe("conditions", () => {
  test("exclude on a nullable column", () => {
    const compiled = Post.objects.orderBy().exclude({ rating__gt: 3 }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} where not ("posts"."rating" > ? and "posts"."rating" is not null)`,
    );
    expect(compiled.params).toEqual([3]);
  });

  test("exclude on a non-null column", () => {
    const compiled = Post.objects.orderBy().exclude({ views: 3 }).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where not "posts"."views" = ?`);
  });

  test("exclude isnull adds nothing", () => {
    const compiled = Post.objects.orderBy().exclude({ publishedAt__isnull: true }).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where not "posts"."published_at" is null`);
  });

  test("Q.or inside exclude", () => {
    const compiled = Post.objects
      .orderBy()
      .exclude(Q.or({ title__icontains: "draft" }, { publishedAt__isnull: false }))
      .toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} where not (lower("posts"."title") like lower(?) escape '!' or "posts"."published_at" is not null)`,
    );
    expect(compiled.params).toEqual(["%draft%"]);
  });

  test("Q.and, Q.or and Q.not nested", () => {
    const compiled = Post.objects
      .orderBy()
      .filter(Q.and(Q.or({ views: 1 }, { views: 2 }), Q.not({ title: "x" })))
      .toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} where (("posts"."views" = ? or "posts"."views" = ?) and not "posts"."title" = ?)`,
    );
    expect(compiled.params).toEqual([1, 2, "x"]);
  });

  test("Q methods chain", () => {
    const condition = Q.of<unknown>({ views: 1 }).or({ views: 2 }).not();
    const compiled = Post.objects.orderBy().filter(condition as never).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where not ("posts"."views" = ? or "posts"."views" = ?)`);
  });

  test("two filter calls joined with and", () => {
    const compiled = Post.objects.orderBy().filter({ views: 1 }).exclude({ title: "x" }).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where ("posts"."views" = ? and not "posts"."title" = ?)`);
    expect(compiled.params).toEqual([1, "x"]);
  });

  test("empty filter adds no where", () => {
    expect(User.objects.filter({}).toSQL().sql).toBe(SELECT_USERS);
  });
});

describe("values", () => {
  test("values selects the named paths", async () => {
    await Post.objects.filter({ views__gt: 1 }).values("title", "author__username");

    expect(queries).toEqual([
      {
        sql:
          'select "posts"."title", "j1"."username" from "posts" left join "users" as "j1" on "j1"."id" = "posts"."author_id"' +
          ` where "posts"."views" > ?${POST_ORDER}`,
        params: [1],
      },
    ]);
  });

  test("values without paths selects every column", async () => {
    await User.objects.values();

    expect(queries[0]!.sql).toBe(SELECT_USERS);
  });

  test("valuesList returns tuples", async () => {
    driver.responder = () => ({ rows: [[1, "ann"]], rowCount: 1 });

    try {
      expect(await User.objects.valuesList("id", "username")).toEqual([[1, "ann"]]);
      expect(await User.objects.values("id", "username")).toEqual([{ id: 1, username: "ann" }]);
    } finally {
      driver.responder = undefined;
    }
  });
});

describe("count", () => {
  test("plain count", async () => {
    await Post.objects.filter({ views__gt: 1 }).count();

    expect(queries).toEqual([{ sql: 'select count(*) from "posts" where "posts"."views" > ?', params: [1] }]);
  });

  test("count ignores the ordering", async () => {
    await Post.objects.orderBy("-title").count();

    expect(queries[0]!.sql).toBe('select count(*) from "posts"');
  });

  test("count of a sliced query", async () => {
    await Post.objects.limit(3).offset(2).count();

    expect(queries).toEqual([
      {
        sql: `select count(*) from (select "posts"."id" from "posts"${POST_ORDER} limit ? offset ?) as "counted"`,
        params: [3, 2],
      },
    ]);
  });

  test("count of a distinct query", async () => {
    await Post.objects.distinct().count();

    expect(queries[0]!.sql).toBe('select count(*) from (select distinct "posts"."id" from "posts") as "counted"');
  });

  test("distinct sliced count selects ordering", async () => {
    await Post.objects.distinct().limit(5).count();

    expect(queries[0]!.sql).toBe(
      'select count(*) from (select distinct "posts"."id", "posts"."published_at" as "order_1", "posts"."id" as "order_2"' +
        ` from "posts"${POST_ORDER} limit ?) as "counted"`,
    );
  });

  test("count returns the driver's number", async () => {
    driver.responder = () => ({ rows: [[42n]], rowCount: 1 });

    try {
      expect(await Post.objects.count()).toBe(42);
    } finally {
      driver.responder = undefined;
    }
  });

  test("exists selects one row", async () => {
    expect(await User.objects.filter({ id: 3 }).exists()).toBe(false);
    expect(queries).toEqual([{ sql: 'select 1 from "users" where "users"."id" = ? limit ?', params: [3, 1] }]);
  });
});

describe("names from outside", () => {
  const fields = "User's fields are id, username, email, bio, joinedAt, posts, editedPosts.";

  test("unknown field in filter", () => {
    const error = validationError(() => User.objects.filter({ usernam: "a" } as never).toSQL());

    expect(error.message).toContain('unknown field "usernam" in "usernam"');
    expect(error.message).toContain(fields);
    expect(error.model).toBe("User");
    expect(error.field).toBe("usernam");
  });

  test("unknown field after a relation", () => {
    const error = validationError(() => Post.objects.filter({ author__nme: "a" } as never).toSQL());

    expect(error.message).toContain('unknown field "nme" in "author__nme"');
    expect(error.model).toBe("User");
  });

  test("unknown field in orderBy", () => {
    const error = validationError(() => User.objects.orderBy("-usernam" as never).toSQL());

    expect(error.message).toContain('User.objects.toSQL(): unknown field "usernam"');
    expect(error.message).toContain(fields);
  });

  test("lookup in orderBy", () => {
    const error = validationError(() => User.objects.orderBy("username__icontains" as never).toSQL());

    expect(error.message).toContain('cannot order by "username__icontains"');
  });

  test("unknown field in values", async () => {
    await expect(User.objects.values("nope" as never)).rejects.toThrow(ValidationError);
    await expect(User.objects.values("nope" as never)).rejects.toThrow(
      `User.objects.values(): unknown field "nope" in "nope". ${fields}`,
    );
    expect(queries).toEqual([]);
  });

  test("multi-valued relation in values", async () => {
    await expect(User.objects.valuesList("posts" as never)).rejects.toThrow(
      'User.objects.valuesList(): "posts" crosses the multi-valued relation "posts"',
    );
  });

  test("unknown field fails before any SQL", async () => {
    await expect(User.objects.filter({ nope: 1 } as never).count()).rejects.toThrow(ValidationError);
    await expect(User.objects.filter({ nope: 1 } as never).update({ bio: "x" })).rejects.toThrow(ValidationError);
    expect(queries).toEqual([]);
  });
});

describe("values never in SQL text", () => {
  const hostile = ["'; drop table users; --", 'a" or "1"="1', "x' or '1'='1", "\\'; --"];

  test.each(hostile)("filter value %s", (text) => {
    const compiled = User.objects.filter({ username: text, email__icontains: text, bio__in: [text] }).toSQL();

    expect(compiled.sql).not.toContain(text);
    expect(compiled.params).toContain(text);
    expect(compiled.sql.split("?")).toHaveLength(compiled.params.length + 1);
  });

  test("update and insert values", async () => {
    const text = "'; drop table users; --";
    await User.objects.filter({ username: text }).update({ bio: text });
    await User.objects.create({ username: text, email: text });

    expect(queries).toHaveLength(2);

    for (const query of queries) {
      expect(query.sql).not.toContain(text);
      expect(query.params).toContain(text);
    }
  });
});

describe("identifier quoting", () => {
  test("reserved words and an embedded quote", () => {
    const compiled = Order.objects.filter({ group: "g", odd: 1, user: 2 }).orderBy("-group").toSQL();

    expect(compiled.sql).toBe(
      'select "order"."id", "order"."group", "order"."user", "order"."we""ird" from "order"' +
        ' where ("order"."group" = ? and "order"."we""ird" = ? and "order"."user" = ?) order by "order"."group" desc',
    );
    expect(compiled.params).toEqual(["g", 1, 2]);
  });

  test("join to a reserved-word table", () => {
    const compiled = Order.objects.filter({ user__username: "ann" }).toSQL();

    expect(compiled.sql).toContain(
      'from "order" left join "users" as "j1" on "j1"."id" = "order"."user" where "j1"."username" = ?',
    );
  });

  test("quote doubles double quotes", () => {
    expect(compiler.quote('a"b')).toBe('"a""b"');
    expect(compiler.quote('"')).toBe('""""');
  });
});

describe("sql tag", () => {
  test("binds every interpolation", () => {
    const id = 5;
    const name = "'; drop table users; --";
    const compiled = sql`select * from users where id = ${id} and name = ${name}`.compile(compiler);

    expect(compiled.sql).toBe("select * from users where id = ? and name = ?");
    expect(compiled.params).toEqual([5, name]);
  });

  test("identifier quotes", () => {
    const compiled = sql`select * from ${sql.identifier('we"ird')}`.compile(compiler);

    expect(compiled.sql).toBe('select * from "we""ird"');
    expect(compiled.params).toEqual([]);
  });

  test("identifier rejects an empty name", () => {
    expect(() => sql.identifier("")).toThrow(ValidationError);
    expect(() => sql.identifier("a\u0000b")).toThrow(ValidationError);
  });

  test("raw inserts text", () => {
    const compiled = sql`select * from users where ${sql.raw("1 = 1")}`.compile(compiler);

    expect(compiled.sql).toBe("select * from users where 1 = 1");
    expect(compiled.params).toEqual([]);
  });

  test("nested fragments and join", () => {
    const condition = sql`id = ${1}`;
    const list = sql.join([2, 3, sql`${4} + 1`]);
    const compiled = sql`select ${list} where ${condition}`.compile(compiler);

    expect(compiled.sql).toBe("select ?, ?, ? + 1 where id = ?");
    expect(compiled.params).toEqual([2, 3, 4, 1]);
  });

  test("db.sql runs a bound statement", async () => {
    const name = "ann";
    await db.sql`select * from users where username = ${name}`;

    expect(queries).toEqual([{ sql: "select * from users where username = ?", params: ["ann"] }]);
  });
});

describe("base compiler", () => {
  test("subclass supplies only conversions and types", () => {
    expect(new TestCompiler()).toBeInstanceOf(SqlCompiler);
  });

  test("columns are qualified by alias", () => {
    const compiled = Post.objects.toSQL();

    expect(compiled.sql.startsWith(`select ${POST_COLUMNS} from "posts"`)).toBe(true);
  });
});

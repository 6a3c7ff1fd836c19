import { ForeignKeyViolation, CheckViolation, NotNullViolation, UniqueViolation, sql, type QueryEvent } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Order, Post, clearTables } from "../src/models";

const HOSTILE = "'; drop table authors; --";

eachDialect("safety", ({ db }) => {
  afterEach(() => clearTables(db()));

  test("reserved-word tables and columns work", async () => {
    await Order.objects.create({ group: "g", user: "u", select: 1 });

    expect(await Order.objects.filter({ group: "g", user: "u" }).orderBy("-select").values("group", "select")).toEqual([{ group: "g", select: 1 }]);
    expect(await Order.objects.filter({ group: "g" }).update({ select: 2 })).toBe(1);
  });

  test("values travel as parameters, never in SQL text", async () => {
    const events: QueryEvent[] = [];
    const listener = (event: QueryEvent) => events.push(event);
    db().on("query", listener);

    try {
      await Author.objects.create({ username: HOSTILE });
      await Author.objects.filter({ username__icontains: HOSTILE }).count();
      await Author.objects.filter({ username: HOSTILE }).update({ email: HOSTILE });
      await db().sql`select ${HOSTILE} as value`;
    } finally {
      db().off("query", listener);
    }

    expect(events.length).toBeGreaterThanOrEqual(4);

    for (const event of events) {
      expect(event.sql).not.toContain("drop table");
      expect(event.parameterCount).toBeGreaterThan(0);
    }

    expect((await Author.objects.get({ username: HOSTILE })).email).toBe(HOSTILE);
  });

  test("sql tag binds values and quotes identifiers", async () => {
    await Author.objects.create({ username: "ana", karma: 7 });
    const rows = await db().raw<{ karma: number | string }>(
      sql`select ${sql.identifier("karma")} from ${sql.identifier("authors")} where ${sql.identifier("username")} = ${"ana"}`,
    );

    expect(rows.map((row) => Number(row.karma))).toEqual([7]);
  });

  test("raw column named __proto__", async () => {
    const query = () => db().raw(sql`select 7 as ${sql.identifier("__proto__")}, 8 as ${sql.identifier("b")}`);

    // mysql2 rejects the name outright and closes the connection.
    if (db().dialect.name === "mysql") {
      await expect(query()).rejects.toThrow(/cannot read a result column with this name/);
      expect(await db().raw(sql`select 1 as ${sql.identifier("one")}`)).toHaveLength(1);

      return;
    }

    const [row] = await query();
    expect(Object.keys(row!)).toEqual(["__proto__", "b"]);
    expect(Object.values(row!).map(Number)).toEqual([7, 8]);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  test("constraint errors map to their classes", async () => {
    const ana = await Author.objects.create({ username: "ana" });

    const duplicate = await Author.objects.create({ username: "ana" }).catch((error: unknown) => error);

    expect(duplicate).toBeInstanceOf(UniqueViolation);
    expect((duplicate as UniqueViolation).cause).toBeDefined();

    await expect(Post.objects.create({ title: "x", authorId: ana.id + 1000 })).rejects.toBeInstanceOf(ForeignKeyViolation);
    await expect(db().sql`insert into ${sql.identifier("authors")} (${sql.identifier("username")}, ${sql.identifier("karma")}, ${sql.identifier("created_at")}, ${sql.identifier("updated_at")}) values (${null}, ${1}, ${new Date()}, ${new Date()})`).rejects.toBeInstanceOf(NotNullViolation);
    await expect(db().sql`insert into ${sql.identifier("order")} (${sql.identifier("group")}, ${sql.identifier("user")}, ${sql.identifier("select")}) values (${"g"}, ${"u"}, ${-1})`).rejects.toBeInstanceOf(CheckViolation);
  });

  test("constraint errors keep values out of messages", async () => {
    const secret = "secret-value-4f1c@example.com";
    await Author.objects.create({ username: secret });
    const error = (await Author.objects.create({ username: secret }).catch((caught: unknown) => caught)) as Error;

    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error.message).not.toContain(secret);
  });

  test("query events carry timing and counts", async () => {
    const events: QueryEvent[] = [];
    const listener = (event: QueryEvent) => events.push(event);
    db().on("query", listener);

    try {
      await Author.objects.bulkCreate([{ username: "a" }, { username: "b" }]);
      await Author.objects.all();
    } finally {
      db().off("query", listener);
    }

    const select = events[events.length - 1]!;

    expect(select.rowCount).toBe(2);
    expect(select.durationMs).toBeGreaterThanOrEqual(0);
    expect(select.connection).toBe(db().name);
    expect(select.params).toBeUndefined();
  });
});

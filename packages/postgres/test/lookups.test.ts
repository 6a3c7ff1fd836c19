import { Database, Model, Q, field, manager } from "@chakra-orm/core";
import { postgres } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class Author extends Model.define("authors", {
  id: field.id(),
  name: field.string({ maxLength: 50 }),
}) {
  static objects = manager(this);
}

class Post extends Model.define("posts", {
  id: field.id(),
  title: field.string({ maxLength: 100 }),
  views: field.integer({ default: 0 }),
  publishedAt: field.dateTime({ nullable: true }),
  day: field.date({ nullable: true }),
  meta: field.json({ nullable: true }),
  author: field.foreignKey(() => Author, { nullable: true }),
}) {
  static objects = manager(this);
}

const SUFFIX = "lookups";
let db: Database;

async function titles(query: { all(): Promise<Post[]> }): Promise<string[]> {
  return (await query.all()).map((post) => post.title).sort();
}

describePostgres("postgres lookups", () => {
  beforeAll(async () => {
    const url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres(url), models: [Author, Post] });
    await db.createTables();
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  beforeEach(async () => {
    const ann = await Author.objects.create({ name: "Ännchen" });
    const bob = await Author.objects.create({ name: "Bob" });
    await Post.objects.bulkCreate([
      { title: "ÄRGER im Büro", views: 10, publishedAt: new Date("2024-01-01T00:30:00Z"), day: "2024-01-01", meta: { tags: ["a", "b"], score: 7, owner: { name: "Ann" } }, author: ann },
      { title: "50% off", views: 20, publishedAt: new Date("2023-12-31T23:30:00Z"), day: "1969-07-20", meta: { score: 12, owner: { name: "bob" } }, author: bob },
      { title: "500 off", views: 30, meta: { score: 3.5, flag: null } },
      { title: "snake_case and back!slash", views: 40, meta: [1, 2, 3] },
      { title: "Straße", views: 50 },
    ]);
  });

  afterEach(async () => {
    await Post.objects.delete();
    await Author.objects.delete();
  });

  test("compiles placeholders as $n", () => {
    const query = Post.objects.filter({ title__icontains: "büro", views__gte: 5 }).limit(3);
    const { sql, params } = query.toSQL();

    expect(sql).toContain('lower("posts"."title") like lower($1) escape \'!\'');
    expect(sql).toContain('"posts"."views" >= $2');
    expect(sql).toMatch(/limit \$3$/);
    expect(params).toEqual(["%büro%", 5, 3]);
  });

  test("icontains folds non-ASCII letters", async () => {
    expect(await titles(Post.objects.filter({ title__icontains: "ärger im büro" }))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter({ title__iexact: "äRGER IM BÜRO" }))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter({ title__istartswith: "str" }))).toEqual(["Straße"]);
    expect(await titles(Post.objects.filter({ title__iendswith: "BÜRO" }))).toEqual(["ÄRGER im Büro"]);
  });

  test("contains is case-sensitive", async () => {
    expect(await titles(Post.objects.filter({ title__contains: "büro" }))).toEqual([]);
    expect(await titles(Post.objects.filter({ title__contains: "Büro" }))).toEqual(["ÄRGER im Büro"]);
  });

  test("wildcards in values match literally", async () => {
    expect(await titles(Post.objects.filter({ title__contains: "50%" }))).toEqual(["50% off"]);
    expect(await titles(Post.objects.filter({ title__startswith: "5_0" }))).toEqual([]);
    expect(await titles(Post.objects.filter({ title__contains: "_case" }))).toEqual(["snake_case and back!slash"]);
    expect(await titles(Post.objects.filter({ title__icontains: "K!S" }))).toEqual(["snake_case and back!slash"]);
  });

  test("comparisons, in and range", async () => {
    expect(await Post.objects.filter({ views__gt: 30 }).count()).toBe(2);
    expect(await Post.objects.filter({ views__lte: 20 }).count()).toBe(2);
    expect(await Post.objects.filter({ views__in: [10, 50, 99] }).count()).toBe(2);
    expect(await Post.objects.filter({ views__in: [] }).count()).toBe(0);
    expect(await Post.objects.filter({ views__range: [20, 40] }).count()).toBe(3);
    expect(await Post.objects.exclude({ views__range: [20, 40] }).count()).toBe(2);
  });

  test("isnull and null exact", async () => {
    expect(await Post.objects.filter({ publishedAt__isnull: true }).count()).toBe(3);
    expect(await Post.objects.filter({ publishedAt: null }).count()).toBe(3);
    expect(await Post.objects.filter({ author__isnull: false }).count()).toBe(2);
  });

  test("regex and iregex", async () => {
    expect(await titles(Post.objects.filter({ title__regex: "^5[0-9]+ off$" }))).toEqual(["500 off"]);
    expect(await titles(Post.objects.filter({ title__iregex: "^stra" }))).toEqual(["Straße"]);
    expect(await titles(Post.objects.filter({ title__regex: "^stra" }))).toEqual([]);
  });

  test("date parts of timestamptz use UTC", async () => {
    expect(await titles(Post.objects.filter({ publishedAt__year: 2024 }))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter({ publishedAt__month: 12, publishedAt__day: 31 }))).toEqual(["50% off"]);

    await db.transaction(async () => {
      await db.sql`set local time zone 'America/Los_Angeles'`;
      expect(await titles(Post.objects.filter({ publishedAt__year: 2024 }))).toEqual(["ÄRGER im Büro"]);
    });
  });

  test("date parts of date columns", async () => {
    expect(await titles(Post.objects.filter(Q.of({ day__year: 1969, day__month: 7, day__day: 20 })))).toEqual(["50% off"]);
  });

  test("lookups across a foreign key", async () => {
    expect(await titles(Post.objects.filter({ author__name__iexact: "ÄNNCHEN" }))).toEqual(["ÄRGER im Büro"]);
    expect(await Author.objects.filter({ name__icontains: "ä" }).count()).toBe(1);
  });

  test("Q objects combine lookups", async () => {
    const query = Post.objects.filter(Q.or({ views__lt: 15 }, { title__icontains: "STRASSE" }, { title__icontains: "straße" }));

    expect(await titles(query)).toEqual(["Straße", "ÄRGER im Büro"]);
  });

  test("json key path exact and isnull", async () => {
    expect(await titles(Post.objects.filter(Q.of({ meta__score: 12 })))).toEqual(["50% off"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__owner__name: "Ann" })))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__flag: null })))).toEqual(["500 off"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__tags__isnull: false })))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__tags: ["a", "b"] })))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__1: 2 })))).toEqual(["snake_case and back!slash"]);
  });

  test("json key path text and numeric lookups", async () => {
    expect(await titles(Post.objects.filter(Q.of({ meta__owner__name__iexact: "BOB" })))).toEqual(["50% off"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__owner__name__icontains: "AN" })))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__score__gt: 5 })))).toEqual(["50% off", "ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__score__lte: 3.5 })))).toEqual(["500 off"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__score__range: [4, 10] })))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__score__in: [3.5, 12] })))).toEqual(["50% off", "500 off"]);
    expect(await titles(Post.objects.filter(Q.of({ meta__owner__name__regex: "^[a-z]" })))).toEqual(["50% off"]);
  });

  test("json key path binds the path", () => {
    const { sql, params } = Post.objects.filter(Q.of({ meta__owner__name: "x'; drop table posts; --" })).toSQL();

    expect(sql).toContain('("posts"."meta" #> $1::text[]) = $2::jsonb');
    expect(params).toEqual([["owner", "name"], JSON.stringify("x'; drop table posts; --")]);
  });

  test("text lookups on a whole json column", async () => {
    expect(await titles(Post.objects.filter({ meta__contains: '"name": "bob"' }))).toEqual(["50% off"]);
    expect(await titles(Post.objects.filter({ meta__icontains: "ANN" }))).toEqual(["ÄRGER im Büro"]);
    expect(await titles(Post.objects.filter({ meta__regex: "^\\[" }))).toEqual(["snake_case and back!slash"]);
  });
});

import { ChakraError, Concat, Database, Model, SearchRank, Value, field, manager, type QueryEvent } from "@chakra-orm/core";
import {
  plainToTsQuery,
  postgres,
  setWeight,
  toTsQuery,
  toTsVector,
  tsRank,
  tsVector,
  websearchToTsQuery,
} from "../src/index";
import { createTestDatabase, describePostgres, dropTestDatabase } from "./postgres-test-server";

class Doc extends Model.define(
  "docs",
  {
    id: field.id(),
    title: field.string({ maxLength: 200 }),
    body: field.text({ default: "" }),
    searchVector: tsVector({ nullable: true }),
    tags: field.array(field.string({ maxLength: 30 }), { default: () => [] }),
    scores: field.array(field.integer(), { nullable: true }),
    attrs: field.json<Record<string, unknown>>({ nullable: true }),
  },
  {
    indexes: [
      { fields: ["searchVector"], using: "gin" },
      { fields: ["tags"], using: "gin" },
    ],
  },
) {
  static objects = manager(this);
}

class Page extends Model.define("pages", {
  id: field.id(),
  heading: field.string({ maxLength: 200 }),
  content: field.text({ default: "" }),
  search: field.search({ fields: { heading: "A", content: "C" }, language: "simple" }),
}) {
  static objects = manager(this);
}

const SUFFIX = "search";
let db: Database;
let events: QueryEvent[] = [];

function lastSql(): string {
  return events[events.length - 1]!.sql;
}

async function titles(query: { values(...paths: "title"[]): PromiseLike<{ title: string }[]> }): Promise<string[]> {
  return (await query.values("title")).map((row) => row.title).sort();
}

describePostgres("postgres search extras", () => {
  beforeAll(async () => {
    const url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres(url), models: [Doc, Page] });
    await db.createTables();
    db.on("query", (event: QueryEvent) => events.push(event));
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  beforeEach(async () => {
    events = [];
    await Doc.objects.using(db).create({
      title: "Postgres replication",
      body: "Streaming replicas of postgres",
      tags: ["postgres", "ops"],
      scores: [3, 5],
      attrs: { color: "red", size: 2, nested: { deep: true } },
    });
    await Doc.objects.using(db).create({
      title: "Choosing a database",
      body: "postgres or mysql",
      tags: ["mysql", "postgres", "orm"],
      attrs: { color: "blue" },
    });
    await Doc.objects.using(db).create({ title: "Cooking pasta", body: "Salt the water", tags: [] });
    await Doc.objects.using(db).update({
      searchVector: setWeight(toTsVector("english", Concat("title", Value(" "), "body")), "A"),
    });
  });

  afterEach(async () => {
    await Doc.objects.using(db).delete();
    await Page.objects.using(db).delete();
  });

  test("schema has tsvector, arrays and GIN indexes", async () => {
    const columns = await db.sql<{ name: string; type: string }>`
      select attname as name, format_type(atttypid, atttypmod) as type
      from pg_attribute where attrelid = 'docs'::regclass and attnum > 0 and not attisdropped`;
    const types = Object.fromEntries(columns.map((row) => [row.name, row.type]));
    const indexes = await db.sql<{ indexdef: string }>`select indexdef from pg_indexes where tablename = 'docs' order by indexname`;

    expect(types.search_vector).toBe("tsvector");
    expect(types.tags).toBe("character varying(30)[]");
    expect(types.scores).toBe("integer[]");
    expect(indexes.map((row) => row.indexdef)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("USING gin (search_vector)"),
        expect.stringContaining("USING gin (tags)"),
      ]),
    );
  });

  test("search field is a generated column", async () => {
    const [column] = await db.sql<{ generated: string; type: string }>`
      select attgenerated as generated, format_type(atttypid, atttypmod) as type
      from pg_attribute where attrelid = 'pages'::regclass and attname = 'search_vector'`;
    const indexes = await db.sql<{ indexdef: string }>`select indexdef from pg_indexes where tablename = 'pages'`;

    expect(column).toEqual({ generated: "s", type: "tsvector" });
    expect(indexes.some((row) => row.indexdef.includes("USING gin (search_vector)"))).toBe(true);
  });

  test("search field weights rank the heading first", async () => {
    await Page.objects.using(db).create({ heading: "Lemon tart", content: "A dessert" });
    await Page.objects.using(db).create({ heading: "Dessert menu", content: "Lemon sorbet and more lemon" });

    const rows = await Page.objects
      .using(db)
      .filter({ search__matches: "lemon" })
      .annotate({ rank: SearchRank("lemon") })
      .orderBy("-rank")
      .values("heading", "rank");

    // One heading hit at weight A (1.0) outranks two content hits at weight C (0.2).
    expect(rows.map((row) => row.heading)).toEqual(["Lemon tart", "Dessert menu"]);
  });

  test("tsvector is set from expressions", async () => {
    const [doc] = await Doc.objects.using(db).filter({ title: "Postgres replication" }).values("searchVector");

    expect(doc!.searchVector).toBe("'postgr':1A,6A 'replic':2A 'replica':4A 'stream':3A");
  });

  test("matches takes text or a tsquery", async () => {
    expect(await titles(Doc.objects.using(db).filter({ searchVector__matches: "postgres" }))).toEqual([
      "Choosing a database",
      "Postgres replication",
    ]);
    expect(lastSql()).toContain('"docs"."search_vector" @@ plainto_tsquery($1::regconfig, $2::text)');

    const websearch = Doc.objects.using(db).filter({ searchVector__matches: websearchToTsQuery("english", "postgres -mysql") });
    expect(await titles(websearch)).toEqual(["Postgres replication"]);
    expect(lastSql()).toContain('"docs"."search_vector" @@ websearch_to_tsquery($1::regconfig, $2::text)');

    const raw = Doc.objects.using(db).filter({ searchVector__matches: toTsQuery("english", "past:* | salt") });
    expect(await titles(raw)).toEqual(["Cooking pasta"]);
  });

  test("websearch never raises on malformed input", async () => {
    for (const text of ['"unbalanced', "-", "or or", "!!", "(", "a & | b"]) {
      await expect(Doc.objects.using(db).filter({ searchVector__matches: websearchToTsQuery("english", text) }).count()).resolves.toBeGreaterThanOrEqual(0);
    }
  });

  test("raw tsquery syntax errors raise", async () => {
    await expect(Doc.objects.using(db).filter({ searchVector__matches: toTsQuery("english", "postgres &") }).count()).rejects.toThrow(ChakraError);
  });

  test("tsRank orders matches", async () => {
    const query = plainToTsQuery("english", "postgres");
    const rows = await Doc.objects
      .using(db)
      .filter({ searchVector__matches: query })
      .annotate({ rank: tsRank("searchVector", query) })
      .orderBy("-rank")
      .values("title", "rank");

    expect(rows.map((row) => row.title)).toEqual(["Postgres replication", "Choosing a database"]);
    expect(rows[0]!.rank).toBeGreaterThan(rows[1]!.rank);
  });

  test("array lookups", async () => {
    expect(await titles(Doc.objects.using(db).filter({ tags__contains: ["postgres"] }))).toEqual(["Choosing a database", "Postgres replication"]);
    expect(lastSql()).toContain('"docs"."tags" @> $1::varchar(30)[]');
    expect(await titles(Doc.objects.using(db).filter({ tags__contains: ["postgres", "orm"] }))).toEqual(["Choosing a database"]);
    expect(await titles(Doc.objects.using(db).filter({ tags__overlap: ["ops", "cooking"] }))).toEqual(["Postgres replication"]);
    expect(lastSql()).toContain('"docs"."tags" && $1::varchar(30)[]');
    expect(await titles(Doc.objects.using(db).filter({ tags__contained_by: ["postgres", "ops", "extra"] }))).toEqual(["Cooking pasta", "Postgres replication"]);
    expect(await titles(Doc.objects.using(db).filter({ tags: ["postgres", "ops"] }))).toEqual(["Postgres replication"]);
  });

  test("arrays round-trip", async () => {
    const doc = await Doc.objects.using(db).get({ title: "Postgres replication" });
    const pasta = await Doc.objects.using(db).get({ title: "Cooking pasta" });

    expect(doc.tags).toEqual(["postgres", "ops"]);
    expect(doc.scores).toEqual([3, 5]);
    expect(pasta.tags).toEqual([]);
    expect(pasta.scores).toBeNull();
  });

  test("jsonb containment and keys", async () => {
    expect(await titles(Doc.objects.using(db).filter({ attrs__contains: { color: "red" } }))).toEqual(["Postgres replication"]);
    expect(lastSql()).toContain('"docs"."attrs" @> $1::jsonb');
    expect(await titles(Doc.objects.using(db).filter({ attrs__contains: { nested: { deep: true } } }))).toEqual(["Postgres replication"]);
    expect(await titles(Doc.objects.using(db).filter({ attrs__contained_by: { color: "blue", size: 1 } }))).toEqual(["Choosing a database"]);
    expect(await titles(Doc.objects.using(db).filter({ attrs__has_key: "size" }))).toEqual(["Postgres replication"]);
    // A string keeps meaning a text search in the JSON document.
    expect(await titles(Doc.objects.using(db).filter({ attrs__contains: "blue" }))).toEqual(["Choosing a database"]);
  });

  test("invalid array values raise", async () => {
    await expect(async () => Doc.objects.using(db).filter({ tags__overlap: "postgres" as never }).count()).rejects.toThrow(/expected an array/);
  });
});

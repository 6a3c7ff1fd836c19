import {
  ModelMeta,
  NotSupportedError,
  Q,
  SearchQuery,
  SearchRank,
  ValidationError,
  createTableStatements,
  field,
  type QueryEvent,
  type QuerySet,
} from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Article, CORPUS, Note, Snippet, clearSearchTables, insertCorpus } from "../src/search-models";

/** The corpus positions (1-based) of the articles a query returns, sorted. */
async function matched(query: QuerySet<Article>): Promise<number[]> {
  const rows = await query.values("title");

  return rows.map((row) => CORPUS.findIndex((item) => item.title === row.title) + 1).sort((a, b) => a - b);
}

/** User input that is query syntax on some database: every string must run without an error. */
const HOSTILE = [
  '"unbalanced',
  "-",
  "*",
  "(",
  ")",
  "+-*",
  "NEAR(",
  ":*",
  "!",
  "&|",
  "'",
  "\\",
  "%",
  "@",
  "~",
  "<>",
  "^",
  '""',
  "",
  "   ",
  "AND OR NOT",
  "title:",
  "sql*",
];

eachDialect("search", ({ dialect, db }) => {
  let events: QueryEvent[] = [];
  const record = (event: QueryEvent) => events.push(event);

  beforeEach(async () => {
    await insertCorpus();
    events = [];
    db().on("query", record);
  });

  afterEach(async () => {
    db().off("query", record);
    await clearSearchTables(db());
  });

  test("matches compiles per dialect", async () => {
    await Article.objects.filter({ search__matches: "Postgres" }).count();
    const sql = events[events.length - 1]!.sql;
    const expected = {
      sqlite: 'select count(*) from "articles" where "articles"."id" in (select rowid from "articles_fts" where "articles_fts" match ?)',
      postgres: 'select count(*) from "articles" where "articles"."search_vector" @@ plainto_tsquery($1::regconfig, $2)',
      mysql: "select count(*) from `articles` where match (`articles`.`search_vector`) against (? in boolean mode)",
    };

    expect(sql).toBe(expected[dialect.name]);
    expect(events[events.length - 1]!.parameterCount).toBe(dialect.name === "postgres" ? 2 : 1);
  });

  test("plain query matches every word", async () => {
    expect(await matched(Article.objects.filter({ search__matches: "postgres" }))).toEqual([1, 2]);
    expect(await matched(Article.objects.filter({ search__matches: "POSTGRES" }))).toEqual([1, 2]);
    expect(await matched(Article.objects.filter({ search__matches: "postgres replicas" }))).toEqual([1]);
    expect(await matched(Article.objects.filter({ search__matches: "sqlite" }))).toEqual([2, 3]);
    expect(await matched(Article.objects.filter({ search__matches: "planner joins" }))).toEqual([4]);
    expect(await matched(Article.objects.filter({ search__matches: "pasta postgres" }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "kubernetes" }))).toEqual([]);
  });

  test("matches both indexed fields", async () => {
    // "browser" is in a title only, "webassembly" in a body only.
    expect(await matched(Article.objects.filter({ search__matches: "browser" }))).toEqual([3]);
    expect(await matched(Article.objects.filter({ search__matches: "webassembly" }))).toEqual([3]);
  });

  test("matches combines with filters", async () => {
    await Article.objects.filter({ title: "Choosing a database" }).update({ views: 10 });

    expect(await matched(Article.objects.filter({ search__matches: "postgres", views__gte: 5 }))).toEqual([2]);
    expect(await matched(Article.objects.exclude({ search__matches: "postgres" }))).toEqual([3, 4, 5]);
    expect(await matched(Article.objects.filter(Q.or({ search__matches: "pasta" }, { search__matches: "browser" })))).toEqual([3, 5]);
  });

  test("phrase mode keeps word order", async () => {
    expect(await matched(Article.objects.filter({ search__matches: SearchQuery("planner picks", { mode: "phrase" }) }))).toEqual([4]);
    expect(await matched(Article.objects.filter({ search__matches: SearchQuery("picks planner", { mode: "phrase" }) }))).toEqual([]);
  });

  test("hostile strings never raise", async () => {
    for (const text of HOSTILE) {
      await expect(Article.objects.filter({ search__matches: text }).count()).resolves.toBeGreaterThanOrEqual(0);
      await expect(Article.objects.filter({ search__matches: SearchQuery(text, { mode: "phrase" }) }).count()).resolves.toBeGreaterThanOrEqual(0);
      await expect(Article.objects.annotate({ rank: SearchRank(text) }).values("id", "rank")).resolves.toHaveLength(5);
    }
  });

  test("hostile strings match as plain words", async () => {
    expect(await matched(Article.objects.filter({ search__matches: '"unbalanced' }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "-" }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "*" }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "" }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "AND OR NOT" }))).toEqual([]);
    expect(await matched(Article.objects.filter({ search__matches: "-postgres" }))).toEqual([1, 2]);
    expect(await matched(Article.objects.filter({ search__matches: 'postgres"' }))).toEqual([1, 2]);
    expect(await matched(Article.objects.filter({ search__matches: "(sqlite*" }))).toEqual([2, 3]);
  });

  test("best match ranks first", async () => {
    const rows = await Article.objects
      .filter({ search__matches: "postgres" })
      .annotate({ rank: SearchRank("postgres") })
      .orderBy("-rank")
      .values("title", "rank");

    expect(rows.map((row) => row.title)).toEqual(["Postgres replication", "Choosing a database"]);
    expect(typeof rows[0]!.rank).toBe("number");
    expect(rows[0]!.rank).toBeGreaterThan(rows[1]!.rank);
    expect(rows[1]!.rank).toBeGreaterThan(0);
  });

  test("rank orders sqlite matches", async () => {
    const rows = await Article.objects
      .filter({ search__matches: "sqlite" })
      .annotate({ rank: SearchRank("sqlite") })
      .orderBy("-rank")
      .all();

    expect(rows.map((row) => row.title)).toEqual(["SQLite in the browser", "Choosing a database"]);
    expect(rows[0]!.rank).toBeGreaterThan(rows[1]!.rank);
  });

  test("rank of an empty query is zero", async () => {
    const rows = await Article.objects.annotate({ rank: SearchRank("  -  ") }).values("rank");

    expect(rows.map((row) => row.rank)).toEqual([0, 0, 0, 0, 0]);
  });

  test("create and save keep the index in sync", async () => {
    await Article.objects.create({ title: "Tuning postgres", body: "Vacuum settings." });
    expect(await Article.objects.filter({ search__matches: "postgres" }).count()).toBe(3);

    const pasta = await Article.objects.get({ title: "Cooking pasta" });
    pasta.body = "Boil water, then read about postgres while the pasta cooks.";
    await pasta.save();
    expect(await Article.objects.filter({ search__matches: "postgres" }).count()).toBe(4);
    expect(await matched(Article.objects.filter({ search__matches: "salt" }))).toEqual([]);

    pasta.title = "Cooking linguine";
    await pasta.save();
    expect(await Article.objects.filter({ search__matches: "linguine" }).count()).toBe(1);
    expect(await Article.objects.filter({ search__matches: "pasta" }).count()).toBe(1);
  });

  test("bulk update and delete keep the index in sync", async () => {
    await Article.objects.filter({ title: "Postgres replication" }).update({ title: "Replication", body: "Streams the log." });
    expect(await matched(Article.objects.filter({ search__matches: "postgres" }))).toEqual([2]);
    expect(await Article.objects.filter({ search__matches: "streams" }).count()).toBe(1);

    // Updating a column outside the index leaves it as it was.
    await Article.objects.filter({ search__matches: "sqlite" }).update({ views: 3 });
    expect(await matched(Article.objects.filter({ search__matches: "sqlite" }))).toEqual([2, 3]);

    await Article.objects.filter({ title: "Choosing a database" }).delete();
    expect(await Article.objects.filter({ search__matches: "postgres" }).count()).toBe(0);
    expect(await matched(Article.objects.filter({ search__matches: "sqlite" }))).toEqual([3]);

    const browser = await Article.objects.get({ title: "SQLite in the browser" });
    await browser.delete();
    expect(await Article.objects.filter({ search__matches: "sqlite" }).count()).toBe(0);
    expect(await Article.objects.filter({ search__matches: "planner" }).count()).toBe(1);
  });

  test("delete all, then insert", async () => {
    await Article.objects.delete();
    expect(await Article.objects.filter({ search__matches: "postgres" }).count()).toBe(0);

    await Article.objects.create({ title: "Fresh start", body: "Nothing about databases." });
    expect(await Article.objects.filter({ search__matches: "postgres" }).count()).toBe(0);
    expect(await Article.objects.filter({ search__matches: "fresh" }).count()).toBe(1);
  });

  test("field list and null text", async () => {
    await Note.objects.create({ heading: "Groceries", text: null });
    await Note.objects.create({ heading: "Errands", text: "Buy groceries and stamps" });

    expect(await Note.objects.filter({ search__matches: "groceries" }).count()).toBe(2);
    expect(await Note.objects.filter({ search__matches: "stamps" }).count()).toBe(1);

    await Note.objects.filter({ heading: "Groceries" }).update({ text: "stamps too" });
    expect(await Note.objects.filter({ search__matches: "stamps" }).count()).toBe(2);
  });

  test("non-integer primary key", async () => {
    await Snippet.objects.create({ key: "123e4567-e89b-12d3-a456-426614174000", text: "alpha bravo" });
    await Snippet.objects.create({ key: "223e4567-e89b-12d3-a456-426614174000", text: "bravo charlie" });

    expect(await Snippet.objects.filter({ search__matches: "bravo" }).count()).toBe(2);

    await Snippet.objects.filter({ text: "alpha bravo" }).update({ text: "delta" });
    await Snippet.objects.filter({ text: "bravo charlie" }).delete();
    expect(await Snippet.objects.filter({ search__matches: "bravo" }).count()).toBe(0);
    expect(await Snippet.objects.filter({ search__matches: "delta" }).count()).toBe(1);
  });

  test("createTables is repeatable", async () => {
    await db().createTables();

    expect(await matched(Article.objects.filter({ search__matches: "postgres" }))).toEqual([1, 2]);
  });

  test("invalid search values raise", async () => {
    await expect(async () => Article.objects.filter({ search__matches: 42 as never }).count()).rejects.toThrow(ValidationError);
    await expect(async () => Article.objects.filter({ search__exact: "x" } as never).count()).rejects.toThrow(ValidationError);
    expect(() => SearchQuery("x", { mode: "fuzzy" as never })).toThrow(ValidationError);
  });

  test("dialect-specific modes", async () => {
    const websearch = Article.objects.filter({ search__matches: SearchQuery("postgres -mysql", { mode: "websearch" }) });
    const natural = Article.objects.filter({ search__matches: SearchQuery("pasta browser", { mode: "natural" }) });

    if (dialect.name === "postgres") {
      expect(await matched(websearch)).toEqual([1]);
      await expect(natural.count()).rejects.toThrow(NotSupportedError);
    } else if (dialect.name === "mysql") {
      await expect(websearch.count()).rejects.toThrow(NotSupportedError);
      expect(await matched(natural)).toEqual([3, 5]);
    } else {
      await expect(websearch.count()).rejects.toThrow(NotSupportedError);
      await expect(natural.count()).rejects.toThrow(NotSupportedError);
    }
  });

  test("raw mode passes native syntax", async () => {
    const raw = {
      sqlite: "postgres NOT mysql",
      postgres: "postgres & !mysql",
      mysql: "+postgres -mysql",
    };

    expect(await matched(Article.objects.filter({ search__matches: SearchQuery(raw[dialect.name], { mode: "raw" }) }))).toEqual([1]);
  });

  test("search keys are typed", () => {
    // @ts-expect-error: a number is not a search query
    const wrongValue = () => Article.objects.filter({ search__matches: 42 });
    // @ts-expect-error: a search field has no other lookups
    const wrongLookup = () => Article.objects.filter({ search__icontains: "x" });
    // @ts-expect-error: a search field is not an instance attribute
    const attribute = (item: Article) => item.search;
    // @ts-expect-error: nor part of create() input
    const input = () => Article.objects.create({ title: "t", search: "x" });
    const accepted = () => Article.objects.filter({ search__matches: SearchQuery("x", { mode: "phrase" }) });

    expect([wrongValue, wrongLookup, attribute, input, accepted]).toHaveLength(5);
  });

  test("arrays raise outside postgres", () => {
    const meta = new ModelMeta("search_tags", { id: field.id(), tags: field.array(field.string()) }, {});
    const build = () => createTableStatements(db().dialect, meta);

    if (dialect.name === "postgres") {
      expect(build()[0]!.sql).toContain('"tags" varchar(255)[] not null');
    } else {
      expect(build).toThrow(NotSupportedError);
      expect(build).toThrow(`array fields are not supported on ${dialect.name}`);
    }
  });
});

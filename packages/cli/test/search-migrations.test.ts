/**
 * Generates and applies migrations that add, change and remove a model's
 * full-text search index on each dialect, queries it with
 * `search__matches`, and rolls it back.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  type Database,
  Migrator,
  Model,
  autodetect,
  field,
  loadMigrations,
  manager,
  renderMigration,
  replay,
  sql,
  stateFromModels,
  type ModelClass,
  QuerySet,
} from "@chakra-orm/core";
import { available, chosenDialects, createDatabase, type TestDatabase } from "./support/databases.js";

const copies = mkdtempSync(join(tmpdir(), "chakra-search-copies-"));
let copyCount = 0;

/** Imports a migration file from a fresh path, because jest caches modules by path. */
function importFresh(file: string): Promise<unknown> {
  copyCount += 1;
  const copy = join(copies, `${copyCount}_${basename(file)}`);
  copyFileSync(file, copy);
  let loaded: unknown;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(copy);
  });

  return Promise.resolve(loaded);
}

afterAll(() => rmSync(copies, { recursive: true, force: true }));

interface Schema {
  Article: ModelClass;
  models: ModelClass[];
}

/** Articles without search. */
function version1(): Schema {
  class Article extends Model.define("articles", {
    title: field.string({ maxLength: 200 }),
    body: field.text(),
    slug: field.string({ maxLength: 50, nullable: true }),
  }) {
    static objects = manager(this);
  }

  return { Article: Article as unknown as ModelClass, models: [Article as unknown as ModelClass] };
}

/** Adds a weighted search over title and body, and a new notes table that has a search from the start. */
function version2(): Schema {
  class Article extends Model.define("articles", {
    title: field.string({ maxLength: 200 }),
    body: field.text(),
    slug: field.string({ maxLength: 50, nullable: true }),
    search: field.search({ fields: { title: "A", body: "B" }, language: "english" }),
  }) {
    static objects = manager(this);
  }
  class Note extends Model.define("notes", {
    text: field.text(),
    search: field.search({ fields: ["text"], language: "simple" }),
  }) {
    static objects = manager(this);
  }

  return { Article: Article as unknown as ModelClass, models: [Article, Note] as unknown as ModelClass[] };
}

/** Renames body to content, which the search reads, and changes the language. */
function version3(slugLength = 50): Schema {
  class Article extends Model.define("articles", {
    title: field.string({ maxLength: 200 }),
    content: field.text(),
    slug: field.string({ maxLength: slugLength, nullable: true }),
    search: field.search({ fields: { title: "A", content: "B" }, language: "simple" }),
  }) {
    static objects = manager(this);
  }
  class Note extends Model.define("notes", {
    text: field.text(),
    search: field.search({ fields: ["text"], language: "simple" }),
  }) {
    static objects = manager(this);
  }

  return { Article: Article as unknown as ModelClass, models: [Article, Note] as unknown as ModelClass[] };
}

/** Only a column that the search does not read changes, so SQLite rebuilds the table under the index. */
function version4(): Schema {
  return version3(120);
}

/** A QuerySet over a model built at run time, whose type has no `objects`. */
function rows(model: ModelClass, db: Database): QuerySet<any, any> {
  return new QuerySet(model, db);
}

async function titlesMatching(db: Database, schema: Schema, text: string): Promise<string[]> {
  const found = await rows(schema.Article, db).filter({ search__matches: text }).orderBy("id").all();

  return found.map((row: unknown) => String((row as { title: string }).title));
}

describe.each(chosenDialects())("%s search migrations", (dialect) => {
  let target: TestDatabase | undefined;
  let db: Database;
  let folder: string;
  let ready = false;

  beforeAll(async () => {
    ready = await available(dialect);

    if (!ready) {
      return;
    }

    target = await createDatabase(dialect, `search_${dialect}`);
    db = target.connect();
    folder = mkdtempSync(join(tmpdir(), `chakra-search-migrations-${dialect}-`));
  });

  afterAll(async () => {
    if (!ready) {
      return;
    }

    await db.close();
    await target?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  async function makeMigration(name: string, schema: Schema, renames: { table: string; from: string; to: string }[] = []) {
    const current = replay(await loadMigrations(folder, importFresh));
    const { operations } = await autodetect(current, stateFromModels(schema.models), { renames });
    writeFileSync(join(folder, `${name}.ts`), renderMigration(operations));

    return operations.map((item) => (item.type === "createTable" ? `createTable ${item.table.name}` : `${item.type} ${"table" in item ? String(item.table) : ""}`.trim()));
  }

  async function migrator(): Promise<Migrator> {
    return new Migrator(db, await loadMigrations(folder, importFresh));
  }

  /** True when the database still has the index's generated column or FTS5 table. */
  async function hasSearchObjects(table: string): Promise<boolean> {
    if (dialect === "sqlite") {
      const rows = await db.raw(sql`select name from sqlite_master where name = ${`${table}_fts`} or name like ${`${table}_fts_%`}`);

      return rows.length > 0;
    }

    const rows = await db.raw(
      sql`select column_name from information_schema.columns where table_schema = ${dialect === "postgres" ? "public" : sql.raw("database()")} and table_name = ${table} and column_name = ${"search_vector"}`,
    );

    return rows.length > 0;
  }

  function skipUnlessReady(): boolean {
    if (!ready) {
      process.stderr.write(`skipped: no ${dialect} server\n`);
    }

    return !ready;
  }

  test("addSearch indexes existing and new rows", async () => {
    if (skipUnlessReady()) return;

    expect(await makeMigration("0001_initial", version1())).toEqual(["createTable articles"]);
    await (await migrator()).migrate();
    await db.raw(sql`insert into articles (title, body) values (${"Query planner notes"}, ${"How the optimizer picks joins"})`);
    await db.raw(sql`insert into articles (title, body) values (${"Vacuum"}, ${"Dead tuples and the planner statistics"})`);

    expect(await makeMigration("0002_search", version2())).toEqual(["createTable notes", "addSearch notes", "addSearch articles"]);
    expect((await (await migrator()).migrate()).applied).toEqual(["0002_search"]);

    const schema = version2();
    expect(await titlesMatching(db, schema, "planner")).toEqual(["Query planner notes", "Vacuum"]);
    expect(await titlesMatching(db, schema, "optimizer")).toEqual(["Query planner notes"]);

    await rows(schema.Article, db).create({ title: "Indexes", body: "A btree answers range scans" } as never);
    expect(await titlesMatching(db, schema, "btree")).toEqual(["Indexes"]);

    const Note = schema.models[1] as ModelClass;
    await rows(Note, db).create({ text: "remember the replication slot" } as never);
    expect(await rows(Note, db).filter({ search__matches: "replication" }).count()).toBe(1);
  });

  test("sql of addSearch comes from the dialect", async () => {
    if (skipUnlessReady()) return;

    const runner = await migrator();
    const forward = runner.sql("0002").join("\n");
    const backward = runner.sql("0002", true).join("\n");
    const marker = { sqlite: "using fts5", postgres: "tsvector generated always", mysql: "create fulltext index" }[dialect];

    expect(forward).toContain("-- addSearch articles");
    expect(forward).toContain(marker);
    expect(backward).toContain("-- removeSearch articles");
    expect(backward).toContain("-- dropTable notes");
  });

  test("rename of a searched column rebuilds the index", async () => {
    if (skipUnlessReady()) return;

    const steps = await makeMigration("0003_rename_body", version3(), [{ table: "articles", from: "body", to: "content" }]);
    expect(steps).toEqual(["removeSearch articles", "renameColumn articles", "addSearch articles"]);
    await (await migrator()).migrate();

    const schema = version3();
    expect(await titlesMatching(db, schema, "btree")).toEqual(["Indexes"]);
    await rows(schema.Article, db).filter({ title: "Indexes" }).update({ content: "Hash indexes answer equality" });
    expect(await titlesMatching(db, schema, "btree")).toEqual([]);
    expect(await titlesMatching(db, schema, "equality")).toEqual(["Indexes"]);
  });

  test("table change under the index keeps it", async () => {
    if (skipUnlessReady()) return;

    expect(await makeMigration("0004_longer_slug", version4())).toEqual(["alterColumn articles"]);
    await (await migrator()).migrate();

    const schema = version4();
    expect(await titlesMatching(db, schema, "planner")).toEqual(["Query planner notes", "Vacuum"]);
    await rows(schema.Article, db).create({ title: "Locks", content: "Advisory locks serialize migrations" } as never);
    expect(await titlesMatching(db, schema, "advisory")).toEqual(["Locks"]);
  });

  test("roll back removes the index and forward restores it", async () => {
    if (skipUnlessReady()) return;

    const runner = await migrator();
    expect((await runner.migrate({ target: "0002_search" })).reverted).toEqual(["0004_longer_slug", "0003_rename_body"]);
    expect(await titlesMatching(db, version2(), "advisory")).toEqual(["Locks"]);

    expect((await runner.migrate({ target: "0001_initial" })).reverted).toEqual(["0002_search"]);
    expect(await hasSearchObjects("articles")).toBe(false);
    expect(await db.raw(sql`select title from articles order by id`)).toHaveLength(4);

    expect((await runner.migrate()).applied).toEqual(["0002_search", "0003_rename_body", "0004_longer_slug"]);
    expect(await hasSearchObjects("articles")).toBe(true);
    expect(await titlesMatching(db, version4(), "advisory")).toEqual(["Locks"]);

    await runner.migrate({ target: "zero" });
    expect(await hasSearchObjects("articles")).toBe(false);
    expect(await hasSearchObjects("notes")).toBe(false);
  });
});

/**
 * Generates, applies, rolls back and re-applies a sequence of migrations
 * that uses every operation, on each dialect, and checks that rows survive.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  type Database,
  Migrator,
  Model,
  autodetect,
  columnField,
  editorFor,
  field,
  introspect,
  loadMigrations,
  op,
  renderMigration,
  renderModels,
  replay,
  sql,
  stateFromModels,
  type ModelClass,
  type Operation,
  type SchemaState,
} from "@chakra-orm/core";
import { available, chosenDialects, createDatabase, type TestDatabase } from "./support/databases.js";

const copies = mkdtempSync(join(tmpdir(), "chakra-migration-copies-"));
let copyCount = 0;

/**
 * Imports a migration file afresh each time. jest caches a file's text by
 * its path for the whole test file, so an edited migration is copied to a
 * new path first.
 */
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

// Three versions of a small blog schema. Each version defines its own classes
// on the same table names; stateFromModels reads only the classes it is given.
function version1(): ModelClass[] {
  const Author = Model.define("authors", {
    name: field.string({ maxLength: 100 }),
    email: field.string({ maxLength: 200, unique: true }),
  });
  const Tag = Model.define("tags", { label: field.string({ maxLength: 50 }) });
  const Post = Model.define(
    "posts",
    {
      title: field.string({ maxLength: 200 }),
      body: field.text(),
      views: field.integer({ default: 0 }),
      status: field.enum(["draft", "live"], { default: "draft" }),
      author: field.foreignKey(() => Author),
      tags: field.manyToMany(() => Tag),
    },
    { indexes: [{ fields: ["title"] }] },
  );

  return [Author, Tag, Post] as unknown as ModelClass[];
}

function version2(): ModelClass[] {
  const Author = Model.define("authors", {
    name: field.string({ maxLength: 100 }),
    email: field.string({ maxLength: 200 }),
    mentor: field.foreignKey((): ModelClass => Author as unknown as ModelClass, { nullable: true, onDelete: "setNull" }),
  });
  const Tag = Model.define("tags", { label: field.string({ maxLength: 50 }) });
  const Post = Model.define(
    "posts",
    {
      title: field.string({ maxLength: 300 }),
      content: field.text(),
      views: field.bigInteger({ default: 0n }),
      status: field.enum(["draft", "live", "archived"], { default: "draft" }),
      published: field.boolean({ default: false }),
      slug: field.string({ maxLength: 100, nullable: true, index: true }),
      author: field.foreignKey(() => Author),
      tags: field.manyToMany(() => Tag),
    },
    {
      uniqueTogether: [["author", "title"]],
      checks: [{ name: "posts_views_positive", sql: (quote) => `${quote("views")} >= 0` }],
    },
  );

  return [Author, Tag, Post] as unknown as ModelClass[];
}

function version3(): ModelClass[] {
  const Author = Model.define("authors", {
    name: field.string({ maxLength: 100 }),
    email: field.string({ maxLength: 200 }),
  });
  const Post = Model.define(
    "posts",
    {
      title: field.string({ maxLength: 300 }),
      content: field.text(),
      views: field.bigInteger({ default: 0n, nullable: true }),
      status: field.enum(["draft", "live", "archived"], { default: "draft" }),
      published: field.boolean({ default: false }),
      author: field.foreignKey(() => Author, { onDelete: "restrict" }),
    },
    { uniqueTogether: [["author", "title"]] },
  );

  return [Author, Post] as unknown as ModelClass[];
}

async function rowsOf(db: Database, query: string): Promise<Record<string, unknown>[]> {
  return db.raw(sql.raw(query));
}

const concat: Record<string, string> = {
  sqlite: "update posts set slug = 'p-' || id",
  postgres: "update posts set slug = 'p-' || id",
  mysql: "update posts set slug = concat('p-', id)",
};

describe.each(chosenDialects())("%s migrations", (dialect) => {
  let target: TestDatabase | undefined;
  let db: Database;
  let folder: string;
  let ready = false;

  beforeAll(async () => {
    ready = await available(dialect);

    if (!ready) {
      return;
    }

    target = await createDatabase(dialect, `engine_${dialect}`);
    db = target.connect();
    folder = mkdtempSync(join(tmpdir(), `chakra-migrations-${dialect}-`));
  });

  afterAll(async () => {
    if (!ready) {
      return;
    }

    await db.close();
    await target?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Writes the next migration for `models` plus any hand-written steps. */
  async function makeMigration(name: string, models: ModelClass[], extra: Operation[] = [], renames: { table: string; from: string; to: string }[] = []) {
    const current = replay(await loadMigrations(folder, importFresh));
    const { operations, warnings } = await autodetect(current, stateFromModels(models), { renames });
    const file = join(folder, `${name}.ts`);
    writeFileSync(file, renderMigration([...operations, ...extra], { notes: warnings }));

    return { operations, warnings, file };
  }

  async function migrator(on: Database = db): Promise<Migrator> {
    return new Migrator(on, await loadMigrations(folder, importFresh));
  }

  function skipUnlessReady(): boolean {
    if (!ready) {
      process.stderr.write(`skipped: no ${dialect} server\n`);
    }

    return !ready;
  }

  test("initial migration creates every table", async () => {
    if (skipUnlessReady()) return;

    const { operations } = await makeMigration("0001_initial", version1());
    expect(operations.map((item) => item.type)).toEqual(["createTable", "createTable", "createTable", "createTable"]);

    const result = await (await migrator()).migrate();
    expect(result.applied).toEqual(["0001_initial"]);

    await db.raw(sql`insert into authors (name, email) values (${"Ana"}, ${"ana@example.com"})`);
    await db.raw(sql`insert into posts (title, body, author_id) values (${"First"}, ${"Hello"}, ${1})`);
    await db.raw(sql`insert into posts (title, body, author_id, views) values (${"Second"}, ${"World"}, ${1}, ${5})`);
    await db.raw(sql`insert into tags (label) values (${"news"})`);
    await db.raw(sql`insert into posts_tags (posts_id, tags_id) values (${1}, ${1})`);

    const posts = await rowsOf(db, "select title, views, status from posts order by id");
    expect(posts.map((row) => [row.title, Number(row.views), row.status])).toEqual([
      ["First", 0, "draft"],
      ["Second", 5, "draft"],
    ]);
  });

  test("inspectdb reads back the same column types", async () => {
    if (skipUnlessReady()) return;

    const expected = replay(await loadMigrations(folder, importFresh));
    const inspected = await introspect(db);
    const editor = editorFor(db.dialect);
    const typeOf = (state: SchemaState, table: string, column: string) => {
      const found = state.get(table)?.columns.find((item) => item.name === column);

      return found ? editor.columnDefinition(found) : undefined;
    };

    expect([...inspected.keys()].sort()).toEqual([...expected.keys()].sort());

    for (const [name, table] of expected) {
      for (const column of table.columns) {
        expect(`${name}: ${typeOf(inspected, name, column.name)}`).toBe(
          `${name}: ${editor.columnDefinition(column)}`,
        );
      }

      const keysOf = (state: SchemaState) =>
        (state.get(name)?.foreignKeys ?? []).map((key) => `${key.column} -> ${key.references.table}`).sort();
      expect(keysOf(inspected)).toEqual(keysOf(expected));
    }

    const source = renderModels(inspected);
    expect(source).toContain('export class Posts extends Model.define("posts", {');
    expect(source).toContain("author: field.foreignKey(() => Authors");
    expect(source).toContain('status: field.enum(["draft","live"]');
    expect(columnField(inspected.get("posts")?.columns[0] as never).kind).toBe("id");
  });

  test("second migration alters with data kept", async () => {
    if (skipUnlessReady()) return;

    const runCode = op.runCode(
      async (database) => {
        await database.execute({ sql: "update posts set views = views + 1", params: [] }, { rowMode: "array", returnsRows: false });
      },
      async (database) => {
        await database.execute({ sql: "update posts set views = views - 1", params: [] }, { rowMode: "array", returnsRows: false });
      },
    );
    const { operations } = await makeMigration(
      "0002_blog_changes",
      version2(),
      [op.runSql({ forward: concat, backward: "update posts set slug = null" }), runCode],
      [{ table: "posts", from: "body", to: "content" }],
    );
    const types = operations.map((item) => item.type);

    expect(types).toEqual(
      expect.arrayContaining(["renameColumn", "alterColumn", "addColumn", "dropIndex", "addIndex", "addUnique", "addCheck", "addForeignKey"]),
    );
    expect(types).not.toContain("dropColumn");

    await (await migrator()).migrate();

    const posts = await rowsOf(db, "select title, content, views, slug, published, status from posts order by id");
    expect(posts.map((row) => [row.title, row.content, Number(row.views), row.slug, Boolean(Number(row.published) || row.published === true)])).toEqual([
      ["First", "Hello", 1, "p-1", false],
      ["Second", "World", 6, "p-2", false],
    ]);

    // Indexes and foreign keys survive alterations, including SQLite's table rebuilds.
    const posts2 = (await introspect(db)).get("posts");
    expect(posts2?.indexes.map((item) => item.name).sort()).toEqual(["posts_author_id_idx", "posts_slug_idx"]);
    expect(posts2?.foreignKeys.map((item) => item.references.table)).toEqual(["authors"]);

    // The new unique together and the check are enforced.
    await expect(db.raw(sql`insert into posts (title, content, author_id) values (${"First"}, ${"x"}, ${1})`)).rejects.toThrow();
    await expect(db.raw(sql`insert into posts (title, content, author_id, views) values (${"Neg"}, ${"x"}, ${1}, ${-1})`)).rejects.toThrow();
    await db.raw(sql`insert into posts (title, content, author_id, status) values (${"Third"}, ${"x"}, ${1}, ${"archived"})`);
    await db.raw(sql`delete from posts where title = ${"Third"}`);

    // The email unique constraint was dropped; the links of the through table survive.
    await db.raw(sql`insert into authors (name, email) values (${"Bo"}, ${"ana@example.com"})`);
    await db.raw(sql`delete from authors where name = ${"Bo"}`);
    expect(await rowsOf(db, "select posts_id from posts_tags")).toHaveLength(1);
  });

  test("third migration drops tables and columns", async () => {
    if (skipUnlessReady()) return;

    const { operations, warnings } = await makeMigration("0003_drop_tags", version3());
    const types = operations.map((item) => item.type);

    expect(types).toEqual(expect.arrayContaining(["dropTable", "dropColumn", "dropForeignKey", "dropCheck", "alterColumn"]));
    expect(warnings.join("\n")).toContain("Table tags is dropped");

    await (await migrator()).migrate();

    const tables = await introspect(db);
    expect(tables.has("tags")).toBe(false);
    expect(tables.has("posts_tags")).toBe(false);
    expect(tables.get("posts")?.columns.map((item) => item.name)).not.toContain("slug");
    expect((await rowsOf(db, "select title from posts order by id")).map((row) => row.title)).toEqual(["First", "Second"]);
    // onDelete restrict now protects authors with posts.
    await expect(db.raw(sql`delete from authors where id = ${1}`)).rejects.toThrow();
  });

  test("migrate back to the first and forward again", async () => {
    if (skipUnlessReady()) return;

    const runner = await migrator();
    const back = await runner.migrate({ target: "0001_initial" });
    expect(back.reverted).toEqual(["0003_drop_tags", "0002_blog_changes"]);

    const tables = await introspect(db);
    expect(tables.get("posts")?.columns.map((item) => item.name)).toEqual(["id", "title", "body", "views", "status", "author_id"]);
    expect(tables.has("tags")).toBe(true);
    const posts = await rowsOf(db, "select title, body, views from posts order by id");
    expect(posts.map((row) => [row.title, row.body, Number(row.views)])).toEqual([
      ["First", "Hello", 0],
      ["Second", "World", 5],
    ]);

    const again = await runner.migrate();
    expect(again.applied).toEqual(["0002_blog_changes", "0003_drop_tags"]);
    const status = await runner.status();
    expect(status.map((item) => [item.name, item.applied])).toEqual([
      ["0001_initial", true],
      ["0002_blog_changes", true],
      ["0003_drop_tags", true],
    ]);
  });

  test("sql of a migration without running it", async () => {
    if (skipUnlessReady()) return;

    const runner = await migrator();
    const forward = runner.sql("0002").join("\n");
    const backward = runner.sql("0002_blog_changes", true).join("\n");

    expect(forward).toContain("-- renameColumn posts.body to content");
    expect(forward).toContain("-- runCode");
    expect(backward).toContain("-- renameColumn posts.content to body");
    expect(backward).toContain("update posts set slug = null");
  });

  test("changed applied migration is rejected", async () => {
    if (skipUnlessReady()) return;

    const file = join(folder, "0003_drop_tags.ts");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace('op.dropTable("tags")', 'op.dropTable("tags"),\n    op.runSql({ forward: "select 1", backward: "select 1" })'));

    try {
      const runner = await migrator();
      await expect(runner.migrate()).rejects.toMatchObject({ code: "checksum", migration: "0003_drop_tags", file });
      expect((await runner.status()).find((item) => item.name === "0003_drop_tags")?.changed).toBe(true);
    } finally {
      writeFileSync(file, original);
    }
  });

  test("concurrent migrate runs are serialized", async () => {
    if (skipUnlessReady()) return;

    await (await migrator()).migrate({ target: "zero" });
    expect((await introspect(db)).size).toBe(0);

    const first = (target as TestDatabase).connect({ busyTimeout: 20 });
    const second = (target as TestDatabase).connect({ busyTimeout: 20 });

    try {
      const results = await Promise.all([(await migrator(first)).migrate(), (await migrator(second)).migrate()]);
      const applied = results.map((item) => item.applied.length).sort();

      expect(applied).toEqual([0, 3]);
      expect(await rowsOf(db, "select name from chakra_migrations")).toHaveLength(3);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

/**
 * Builds the blog app's schema on each dialect, runs inspectdb on it, loads
 * the generated models and checks that makemigrations finds nothing to do
 * against the introspected schema, and on PostgreSQL and MySQL also against
 * the blog's own models.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Database,
  Migrator,
  autodetect,
  checksumOf,
  introspect,
  stateFromModels,
  type ModelClass,
  type SchemaState,
} from "@chakra-orm/core";
import { inspectDb } from "../src/commands";
import { MODELS } from "../../../apps/blog/src/models";
import { available, chosenDialects, createDatabase, type TestDatabase } from "./support/databases.js";

const folder = mkdtempSync(join(tmpdir(), "chakra-inspect-roundtrip-"));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Creates the blog's tables the way its initial migration does. */
async function buildBlogSchema(db: Database, blog: SchemaState): Promise<void> {
  const { operations } = await autodetect(new Map(), blog);
  const initial = { name: "0001_initial", file: "0001_initial.ts", operations, atomic: true, checksum: checksumOf(operations) };
  await new Migrator(db, [initial]).migrate();
}

/** Runs `chakra inspectdb --output FILE` in this process and returns the file's text. */
async function inspectToFile(target: TestDatabase, file: string): Promise<string> {
  const errors: string[] = [];
  const loaded = {
    config: { databaseUrl: target.url, models: [], migrations: join(folder, "migrations") },
    file: join(folder, "chakra.config.ts"),
    root: folder,
    migrationsFolder: join(folder, "migrations"),
  };
  const code = await inspectDb(loaded, [], file, { out: () => undefined, err: (line) => errors.push(line), interactive: false });
  expect(errors).toEqual([]);
  expect(code).toBe(0);

  return readFileSync(file, "utf8");
}

/** Imports a generated models module through jest's TypeScript transform. */
function loadModels(file: string): ModelClass[] {
  let loaded: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as Record<string, unknown>;
  });

  return Object.values(loaded).filter((value): value is ModelClass => typeof value === "function" && "$meta" in value);
}

/**
 * Returns the blog's state as the dialect can store it: MySQL keeps no
 * search weights, so inspectdb cannot read them back there.
 */
function storableState(blog: SchemaState, dialect: string): SchemaState {
  if (dialect === "postgres") {
    return blog;
  }

  const state: SchemaState = new Map([...blog].map(([name, table]) => [name, structuredClone(table)]));

  for (const table of state.values()) {
    if (table.search) {
      table.search.fields = table.search.fields.map((item) => ({ column: item.column }));
    }
  }

  return state;
}

/** Lists operations as one line each, so a failure shows every difference at once. */
function describeOperations(operations: unknown[]): string[] {
  return operations.map((item) => JSON.stringify(item));
}

describe.each(chosenDialects())("%s inspectdb round trip", (dialect) => {
  let target: TestDatabase | undefined;
  let db: Database | undefined;
  let ready = false;
  const blog = stateFromModels(MODELS as unknown as ModelClass[]);

  beforeAll(async () => {
    ready = await available(dialect);

    if (!ready) {
      return;
    }

    target = await createDatabase(dialect, `inspect_roundtrip_${dialect}`);
    db = target.connect();
    await buildBlogSchema(db, blog);
  });

  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  test("inspected models need no migration", async () => {
    if (!ready) return;

    const file = join(folder, `${dialect}_models.ts`);
    const source = await inspectToFile(target as TestDatabase, file);
    expect(source).toContain('export class Posts extends Model.define("posts", {');
    const license = dialect === "sqlite" ? 'field.text({ default: "CC BY-SA 4.0" })' : 'field.string({ default: "CC BY-SA 4.0", maxLength: 20 })';
    expect(source).toContain(`contentLicense: ${license}`);
    const search = dialect === "postgres" ? '{ title: "A", body: "B" }' : '["title","body"]';
    expect(source).toContain(`search: field.search({ fields: ${search}, language: "english" })`);
    expect(source).not.toContain("search_vector");
    expect(source).not.toContain("posts_fts");

    const models = loadModels(file);
    expect(models.map((model) => model.$meta.table).sort()).toEqual([...blog.keys()].sort());

    const inspected = await introspect(db as Database);
    const fromSource = stateFromModels(models);

    const againstDatabase = await autodetect(inspected, fromSource);
    expect(describeOperations(againstDatabase.operations)).toEqual([]);

    // SQLite declares string, enum and dateTime columns as text, so only the
    // server dialects can give back the blog's own field kinds.
    if (dialect !== "sqlite") {
      const againstBlog = await autodetect(storableState(blog, dialect), fromSource);
      expect(describeOperations(againstBlog.operations)).toEqual([]);
    }
  });
});

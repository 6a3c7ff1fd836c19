/**
 * Runs the chakra command as a real process (`node --import tsx
 * src/bin.ts`, with workspace packages resolved to their sources) and
 * asserts its output and exit codes on each dialect.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Database, sql } from "@chakra-orm/core";
import { available, chosenDialects, createDatabase, type TestDatabase } from "./support/databases.js";

const packageRoot = resolve(__dirname, "..");
const tsxLoader = pathToFileURL(require.resolve("tsx", { paths: [packageRoot] })).href;
const bin = join(packageRoot, "src", "bin.ts");

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function chakra(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, bin, ...args], {
      cwd,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(packageRoot, "test", "tsconfig.source.json"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const CONFIG = `import { defineConfig } from "@chakra-orm/cli";

export default defineConfig({
  databaseUrl: process.env.TEST_DATABASE_URL,
  models: ["./models.ts"],
  migrations: "./migrations",
});
`;

const MODELS_V1 = `import { Model, field } from "@chakra-orm/core";

export class Author extends Model.define("authors", {
  name: field.string({ maxLength: 100 }),
}) {}

export class Post extends Model.define("posts", {
  title: field.string({ maxLength: 200 }),
  body: field.text(),
  author: field.foreignKey(() => Author),
}) {}
`;

const MODELS_V2 = MODELS_V1.replace("body: field.text()", "content: field.text()");

describe("chakra command line", () => {
  test("help and usage errors", async () => {
    const help = await chakra(tmpdir(), ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("makemigrations");

    for (const command of ["makemigrations", "migrate", "showmigrations", "sqlmigrate", "inspectdb"]) {
      const result = await chakra(tmpdir(), [command, "--help"]);
      expect(`${command}: ${result.code}`).toBe(`${command}: 0`);
      expect(result.stdout).toContain(`Usage: chakra ${command}`);
    }

    expect((await chakra(tmpdir(), [])).code).toBe(2);
    expect((await chakra(tmpdir(), ["bogus"])).code).toBe(2);
    expect((await chakra(tmpdir(), ["migrate", "--bogus"])).code).toBe(2);
    expect((await chakra(tmpdir(), ["sqlmigrate"])).code).toBe(2);
    expect((await chakra(tmpdir(), ["makemigrations", "--rename", "nodot"])).code).toBe(2);
    expect((await chakra(tmpdir(), ["migrate"])).code).toBe(2);
    expect((await chakra(tmpdir(), ["migrate"])).stderr).toContain("No chakra.config.ts found");
  }, 60_000);
});

describe.each(chosenDialects())("%s chakra command", (dialect) => {
  let target: TestDatabase | undefined;
  let project: string;
  let ready = false;
  const run = (args: string[]) => chakra(project, args, { TEST_DATABASE_URL: (target as TestDatabase).url });

  beforeAll(async () => {
    ready = await available(dialect);

    if (!ready) {
      return;
    }

    target = await createDatabase(dialect, `cli_${dialect}`);
    project = mkdtempSync(join(tmpdir(), `chakra-cli-${dialect}-`));
    writeFileSync(join(project, "chakra.config.ts"), CONFIG);
    writeFileSync(join(project, "models.ts"), MODELS_V1);
  });

  afterAll(async () => {
    if (!ready) {
      return;
    }

    await target?.drop();
    rmSync(project, { recursive: true, force: true });
  });

  test("makemigrations then migrate", async () => {
    if (!ready) return;

    expect((await run(["makemigrations", "--check"])).code).toBe(3);

    const made = await run(["makemigrations"]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(readdirSync(join(project, "migrations"))).toEqual(["0001_initial.ts"]);

    const again = await run(["makemigrations"]);
    expect(again.stdout).toContain("No changes detected.");
    expect((await run(["makemigrations", "--check"])).code).toBe(0);

    expect((await run(["migrate", "--check"])).code).toBe(3);
    const migrated = await run(["migrate"]);
    expect(migrated.stderr).toBe("");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("Applying 0001_initial...");
    expect(migrated.stdout).toContain("createTable posts");
    expect((await run(["migrate", "--check"])).code).toBe(0);

    const shown = await run(["showmigrations"]);
    expect(shown.stdout).toMatch(/^\[X\] 0001_initial \(applied /m);

    const printed = await run(["sqlmigrate", "0001"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain("create table");
  }, 60_000);

  test("rename needs a flag, else drop plus add", async () => {
    if (!ready) return;

    writeFileSync(join(project, "models.ts"), MODELS_V2);
    const guessed = await run(["makemigrations", "--dry-run", "--no-input"]);
    expect(guessed.code).toBe(0);
    expect(guessed.stdout).toContain('op.dropColumn("posts", "body")');
    expect(guessed.stderr).toContain("Column posts.body is dropped with its data");

    const renamed = await run(["makemigrations", "--rename", "posts.body=content", "--name", "rename_body"]);
    expect(renamed.code).toBe(0);
    const source = readFileSync(join(project, "migrations", "0002_rename_body.ts"), "utf8");
    expect(source).toContain('op.renameColumn("posts", "body", "content")');
    expect(source).not.toContain("dropColumn");

    const db = (target as TestDatabase).connect();

    try {
      expect((await run(["migrate"])).code).toBe(0);
      await db.raw(sql`insert into authors (name) values (${"Ana"})`);
      await db.raw(sql`insert into posts (title, content, author_id) values (${"Hi"}, ${"kept"}, ${1})`);

      const back = await run(["migrate", "0001_initial"]);
      expect(back.code).toBe(0);
      expect(back.stdout).toContain("Rolling back 0002_rename_body...");
      expect(await db.raw(sql`select body from posts`)).toEqual([{ body: "kept" }]);

      expect((await run(["migrate"])).code).toBe(0);
    } finally {
      await db.close();
    }
  }, 60_000);

  test("changed applied migration exits 4", async () => {
    if (!ready) return;

    const file = join(project, "migrations", "0001_initial.ts");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace('maxLength: 100', 'maxLength: 120'));

    try {
      const result = await run(["migrate"]);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(file);
      expect((await run(["showmigrations"])).stdout).toContain("[!] 0001_initial");
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);

  test("two concurrent migrate processes", async () => {
    if (!ready) return;

    expect((await run(["migrate", "zero"])).code).toBe(0);
    const results = await Promise.all([run(["migrate"]), run(["migrate"])]);

    expect(results.map((item) => item.code)).toEqual([0, 0]);
    const applying = results.map((item) => (item.stdout.match(/^Applying /gm) ?? []).length).sort();
    expect(applying).toEqual([0, 2]);

    const db: Database = (target as TestDatabase).connect();

    try {
      expect(await db.raw(sql`select name from chakra_migrations order by name`)).toEqual([
        { name: "0001_initial" },
        { name: "0002_rename_body" },
      ]);
    } finally {
      await db.close();
    }
  }, 60_000);

  test("inspectdb prints models", async () => {
    if (!ready) return;

    const output = join(project, "inspected.ts");
    const result = await run(["inspectdb", "--table", "posts", "--table", "authors", "--output", output]);

    expect(result.code).toBe(0);
    expect(existsSync(output)).toBe(true);
    const source = readFileSync(output, "utf8");
    expect(source).toContain('export class Posts extends Model.define("posts", {');
    expect(source).toContain("author: field.foreignKey(() => Authors");
    expect(source).not.toContain("chakra_migrations");

    expect((await run(["inspectdb", "--output", output])).code).toBe(2);
  }, 60_000);
});

/**
 * Runs the chakra command as a real process (`node --import tsx
 * src/bin.ts`) and asserts its output and exit codes on each dialect.
 * Usage checks that open no config run in-process through runCli, which
 * returns the same codes that bin.ts sets as the process exit code.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Database, sql } from "@chakra-orm/core";
import { runCli } from "../src/cli";
import { available, chosenDialects, createDatabase, type TestDatabase } from "./support/databases.js";

const packageRoot = resolve(__dirname, "..");
const packagesDir = resolve(packageRoot, "..");
const tsxLoader = pathToFileURL(require.resolve("tsx", { paths: [packageRoot] })).href;
const bin = join(packageRoot, "src", "bin.ts");
const runtimeDir = mkdtempSync(join(tmpdir(), "chakra-cli-runtime-"));
const tsconfig = childTsconfig();

afterAll(() => rmSync(runtimeDir, { recursive: true, force: true }));

function newestFileTime(folder: string): number {
  let newest = 0;

  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }

  return newest;
}

/**
 * Returns the tsconfig whose paths the child processes resolve
 * @chakra-orm/* with. When every library package has a dist build newer
 * than its sources (as after `turbo run build`), the children load those
 * bundles instead of transpiling every library source file with tsx at
 * start. Otherwise, or with CHAKRA_CLI_TEST_SOURCES=1, they load the
 * sources, so a stale build is never tested.
 */
function childTsconfig(): string {
  const libraries = ["core", "sqlite", "postgres", "mysql"];
  const fresh = libraries.every((name) => {
    const bundle = join(packagesDir, name, "dist", "index.js");

    return existsSync(bundle) && statSync(bundle).mtimeMs > newestFileTime(join(packagesDir, name, "src"));
  });

  if (!fresh || process.env.CHAKRA_CLI_TEST_SOURCES === "1") {
    process.stderr.write("chakra processes load the library sources (no dist build newer than them)\n");

    return join(packageRoot, "test", "tsconfig.source.json");
  }

  process.stderr.write("chakra processes load the dist builds of core, sqlite, postgres and mysql\n");

  const paths: Record<string, string[]> = { "@chakra-orm/cli": [join(packageRoot, "src", "index.ts")] };

  for (const name of libraries) {
    paths[`@chakra-orm/${name}`] = [join(packagesDir, name, "dist", "index.js")];
  }

  const file = join(runtimeDir, "tsconfig.json");
  writeFileSync(file, JSON.stringify({ compilerOptions: { paths } }));

  return file;
}

/** Runs the command in this process and returns its exit code and output. */
async function chakraInProcess(args: string[]): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    out: (line) => (stdout += `${line}\n`),
    err: (line) => (stderr += `${line}\n`),
    interactive: false,
  });

  return { code, stdout, stderr };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function chakra(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, bin, ...args], {
      cwd,
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, ...env },
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
  test("help and usage errors in a process", async () => {
    const help = await chakra(tmpdir(), ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("makemigrations");

    expect((await chakra(tmpdir(), ["bogus"])).code).toBe(2);

    const missing = await chakra(tmpdir(), ["migrate"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("No chakra.config.ts found");
  }, 60_000);

  test("help and usage errors of each command", async () => {
    for (const command of ["makemigrations", "migrate", "showmigrations", "sqlmigrate", "inspectdb"]) {
      const result = await chakraInProcess([command, "--help"]);
      expect(`${command}: ${result.code}`).toBe(`${command}: 0`);
      expect(result.stdout).toContain(`Usage: chakra ${command}`);
    }

    expect((await chakraInProcess([])).code).toBe(2);
    expect((await chakraInProcess(["migrate", "--bogus"])).code).toBe(2);
    expect((await chakraInProcess(["sqlmigrate"])).code).toBe(2);
    expect((await chakraInProcess(["makemigrations", "--rename", "nodot"])).code).toBe(2);
  });
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

    // Commands that change nothing run side by side to save wall time.
    const [again, checked, pending] = await Promise.all([
      run(["makemigrations"]),
      run(["makemigrations", "--check"]),
      run(["migrate", "--check"]),
    ]);
    expect(again.stdout).toContain("No changes detected.");
    expect(checked.code).toBe(0);
    expect(pending.code).toBe(3);

    const migrated = await run(["migrate"]);
    expect(migrated.stderr).toBe("");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("Applying 0001_initial...");
    expect(migrated.stdout).toContain("createTable posts");

    const [current, shown, printed] = await Promise.all([
      run(["migrate", "--check"]),
      run(["showmigrations"]),
      run(["sqlmigrate", "0001"]),
    ]);
    expect(current.code).toBe(0);
    expect(shown.stdout).toMatch(/^\[X\] 0001_initial \(applied /m);
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
      const [result, shown] = await Promise.all([run(["migrate"]), run(["showmigrations"])]);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(file);
      expect(shown.stdout).toContain("[!] 0001_initial");
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

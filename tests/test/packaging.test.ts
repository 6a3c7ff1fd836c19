/**
 * Packs every published package with `pnpm pack`, installs the tarballs
 * into a scratch project outside the workspace (third-party dependencies
 * are linked from the workspace, so no network is needed), and loads each
 * entry point with both `import` and `require`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const PACKAGES = ["core", "sqlite", "postgres", "mysql", "testing"] as const;
/** Runtime dependencies of the dialect packages, linked from the workspace. */
const THIRD_PARTY: Record<string, string[]> = {
  core: [],
  sqlite: ["better-sqlite3"],
  postgres: ["pg", "pg-cursor"],
  mysql: ["mysql2"],
  testing: [],
};

let scratch: string;
const manifests = new Map<string, Record<string, unknown>>();
const files = new Map<string, string[]>();

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "chakra-pack-"));
  const tarballs = path.join(scratch, "tarballs");
  const modules = path.join(scratch, "project", "node_modules");
  mkdirSync(tarballs, { recursive: true });
  mkdirSync(path.join(modules, "@chakra-orm"), { recursive: true });
  writeFileSync(path.join(scratch, "project", "package.json"), JSON.stringify({ name: "scratch", private: true }));

  for (const name of PACKAGES) {
    const packageDir = path.join(ROOT, "packages", name);

    if (!existsSync(path.join(packageDir, "dist", "index.js"))) {
      run("pnpm", ["run", "build"], packageDir);
    }

    const output = run("pnpm", ["pack", "--pack-destination", tarballs], packageDir).trim().split("\n");
    const tarball = output[output.length - 1]!.trim();
    const target = path.join(modules, "@chakra-orm", name);
    mkdirSync(target, { recursive: true });
    run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], scratch);
    files.set(name, run("tar", ["-tzf", tarball], scratch).trim().split("\n"));
    manifests.set(name, JSON.parse(readFileSync(path.join(target, "package.json"), "utf8")) as Record<string, unknown>);

    for (const dependency of THIRD_PARTY[name]!) {
      const link = path.join(modules, dependency);

      if (!existsSync(link)) {
        // pnpm links each package's dependencies into its own node_modules;
        // the real path lets Node find their dependencies beside them.
        const resolved = realpathSync(path.join(packageDir, "node_modules", dependency));
        symlinkSync(resolved, link, "dir");
      }
    }
  }
}, 180_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function node(args: string[]): string {
  return run(process.execPath, args, path.join(scratch, "project"));
}

describe.each(PACKAGES)("@chakra-orm/%s tarball", (name) => {
  test("ships both builds and their types", () => {
    const listed = files.get(name)!;

    for (const file of ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts", "package.json"]) {
      expect(listed).toContain(`package/${file}`);
    }

    expect(listed.some((file) => file.startsWith("package/src/"))).toBe(false);
  });

  test("names no workspace protocol", () => {
    expect(JSON.stringify(manifests.get(name))).not.toContain("workspace:");
  });

  test("loads with import and require", () => {
    const imported = node(["--input-type=module", "-e", `const m = await import("@chakra-orm/${name}"); console.log(Object.keys(m).length)`]);
    const required = node(["-e", `const m = require("@chakra-orm/${name}"); console.log(Object.keys(m).length)`]);

    expect(Number(imported)).toBeGreaterThan(3);
    expect(Number(required)).toBe(Number(imported));
  });
});

describe("installed packages", () => {
  const program = (loader: string) => `
    ${loader}
    class User extends core.Model.define("users", { id: core.field.id(), name: core.field.string({ maxLength: 20 }) }) {
      static objects = core.manager(this);
    }
    const db = new core.Database({ dialect: dialect.sqlite() });
    await db.createTables();
    await User.objects.create({ name: "ana" });
    const found = await User.objects.get({ name: "ana" });
    console.log(found.id, found.name, found instanceof User);
    await db.close();
  `;

  test("run a query from ESM", () => {
    const output = node([
      "--input-type=module",
      "-e",
      program(`const core = await import("@chakra-orm/core"); const dialect = await import("@chakra-orm/sqlite");`),
    ]);

    expect(output.trim()).toBe("1 ana true");
  });

  test("run a query from CommonJS", () => {
    const output = node([
      "-e",
      `(async () => { ${program(`const core = require("@chakra-orm/core"); const dialect = require("@chakra-orm/sqlite");`)} })().catch((error) => { console.error(error); process.exit(1); });`,
    ]);

    expect(output.trim()).toBe("1 ana true");
  });

  test("errors are recognised across both builds", () => {
    const output = node([
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module";
       const esm = await import("@chakra-orm/core");
       const cjs = createRequire(process.cwd() + "/")("@chakra-orm/core");
       const error = new cjs.ValidationError("x");
       console.log(error instanceof esm.ValidationError, esm.ChakraError.is(error));`,
    ]);

    expect(output.trim()).toBe("false true");
  });
});

/**
 * Runs the blog load script with a small, fixed request count on every
 * chosen dialect: zero errors and zero non-2xx responses are required.
 * The full run (2,000 requests per scenario) is `pnpm --filter
 * @chakra-orm/tests load`; its figures are in docs/reliability.md.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { chosenDialects } from "../../src/dialects";

const TESTS_DIR = path.resolve(__dirname, "../..");
const available = chosenDialects()
  .filter((item) => item.available)
  .map((item) => item.dialect.name);

test("blog API under bounded load has no errors", async () => {
  const tsx = require.resolve("tsx/cli", { paths: [TESTS_DIR] });
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [tsx, "--tsconfig", "../apps/blog/tsconfig.run.json", "scripts/load.ts", "--requests", "200", "--connections", "5"],
      { cwd: TESTS_DIR, env: { ...process.env, CHAKRA_DIALECTS: available.join(",") }, timeout: 280_000 },
      (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
    );
  });

  if (code !== 0) {
    throw new Error(`The load script failed (exit ${code}):\n${stdout}\n${stderr.slice(-2000)}`);
  }

  const rows = stdout.split("\n").filter((line) => /^\| (sqlite|postgres|mysql) \|/.test(line));

  expect(rows.length).toBeGreaterThanOrEqual(available.length);

  for (const row of rows) {
    expect(row.split("|")[4]!.trim()).toBe("0");
  }
}, 300_000);

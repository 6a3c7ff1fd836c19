import { execFileSync } from "node:child_process";
import path from "node:path";

const packageDir = path.resolve(__dirname, "..");

test("type tests compile", () => {
  const tsc = require.resolve("typescript/bin/tsc");
  let output = "";

  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "-p", "test-types/tsconfig.json"], {
      cwd: packageDir,
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }

  expect(output).toBe("");
}, 120_000);

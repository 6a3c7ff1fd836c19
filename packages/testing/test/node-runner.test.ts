/** Runs node-runner.node.ts under `node --test`, to prove the helpers work outside jest. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const PACKAGE_DIR = path.join(__dirname, "..");

test("node:test runner passes", async () => {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=tap", path.join("test", "node-runner.node.ts")],
    {
      cwd: PACKAGE_DIR,
      // tsx reads the source path maps from this file, so no build is needed.
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(PACKAGE_DIR, "tsconfig.run.json") },
      timeout: 60_000,
    },
  );

  expect(stdout).toMatch(/^# pass 3$/m);
  expect(stdout).toMatch(/^# fail 0$/m);
});

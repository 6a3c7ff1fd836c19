import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const benchRoot = join(__dirname, "..");
const tsx = join(benchRoot, "node_modules", ".bin", "tsx");

interface ContenderResult {
  status: string;
  medianMs?: number;
  error?: string;
}

describe("bench harness", () => {
  let folder: string;
  let stderr: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "chakra-bench-test-"));
    const output = await run(
      tsx,
      ["src/main.ts", "--quick", "--db", "sqlite", "--contenders", "raw,chakra", "--rounds", "1", "--warmup", "0", "--results-dir", folder, "--docs-dir", folder],
      { cwd: benchRoot, timeout: 60_000 },
    );
    stderr = output.stderr;
  }, 70_000);

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  test("writes results, page and chart", () => {
    expect(existsSync(join(folder, "sqlite.json"))).toBe(true);
    expect(existsSync(join(folder, "benchmarks.md"))).toBe(true);
    expect(readFileSync(join(folder, "benchmarks.svg"), "utf8")).toMatch(/^<svg /);
  });

  test("every workload passes its checks", () => {
    const result = JSON.parse(readFileSync(join(folder, "sqlite.json"), "utf8")) as {
      workloads: { id: string; contenders: Record<string, ContenderResult> }[];
    };
    expect(result.workloads).toHaveLength(8);

    for (const workload of result.workloads) {
      expect({ workload: workload.id, raw: workload.contenders.raw?.status }).toEqual({ workload: workload.id, raw: "ok" });
      expect({ workload: workload.id, chakra: workload.contenders.chakra?.status }).toEqual({ workload: workload.id, chakra: "ok" });
    }
  });

  test("reports progress on stderr", () => {
    expect(stderr).toContain("[sqlite] 1/8 pk-lookup");
  });
});

describe("peer ORM contenders", () => {
  const contenders = ["typeorm", "sequelize", "mikro-orm", "prisma"];
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "chakra-bench-test-"));
    // Generates the Prisma client first when bench/generated/ has none, which takes about 10 s.
    await run(
      tsx,
      ["src/main.ts", "--quick", "--db", "sqlite", "--contenders", contenders.join(","), "--rounds", "1", "--warmup", "0", "--results-dir", folder, "--docs-dir", folder],
      { cwd: benchRoot, timeout: 150_000 },
    );
  }, 160_000);

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  test("pass every workload on SQLite", () => {
    const result = JSON.parse(readFileSync(join(folder, "sqlite.json"), "utf8")) as {
      workloads: { id: string; contenders: Record<string, ContenderResult> }[];
    };
    expect(result.workloads).toHaveLength(8);

    for (const workload of result.workloads) {
      for (const name of contenders) {
        const item = workload.contenders[name];
        expect({ workload: workload.id, contender: name, status: item?.status, error: item?.error }).toEqual({ workload: workload.id, contender: name, status: "ok", error: undefined });
      }
    }
  });
});

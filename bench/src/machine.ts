/** The machine and library versions a result was measured with. */
import { readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

export const BENCH_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export function describeMachine(): Machine {
  const cpus = os.cpus();

  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

/** Version of a dependency of the bench package, or "unknown" when it is not installed. */
export function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(BENCH_ROOT, "node_modules", name, "package.json"), "utf8")) as { version?: string };

    return manifest.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

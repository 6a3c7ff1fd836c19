/**
 * Generates the Prisma clients the prisma contender loads. Each database
 * has its own schema in bench/prisma/ and its own client in
 * bench/generated/, which is not committed, so `pnpm bench` generates a
 * client the first time it needs it.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BENCH_ROOT } from "./machine.js";
import type { DatabaseName } from "./types.js";

const run = promisify(execFile);

/** Time allowed for one `prisma generate`, which took about 10 s on the 2-core bench machine. */
const GENERATE_TIMEOUT_MS = 120_000;

export function prismaSchemaPath(database: DatabaseName): string {
  return join(BENCH_ROOT, "prisma", `${database}.prisma`);
}

/** Entry file of the generated client for one database. */
export function prismaClientPath(database: DatabaseName): string {
  return join(BENCH_ROOT, "generated", `prisma-${database}`, "client.ts");
}

/**
 * Runs `prisma generate` for each database whose client is missing, in
 * parallel. The generator reads the schema with Prisma's WebAssembly build,
 * so the schema engine binary is set to /bin/false and nothing is
 * downloaded. The version check is turned off because the machine may reach
 * no network but the npm registry.
 */
export async function generatePrismaClients(databases: readonly DatabaseName[], log: (message: string) => void): Promise<void> {
  const missing = databases.filter((database) => !existsSync(prismaClientPath(database)));

  await Promise.all(
    missing.map(async (database) => {
      log(`generating the Prisma client for ${database} from ${prismaSchemaPath(database)}`);

      try {
        await run(join(BENCH_ROOT, "node_modules", ".bin", "prisma"), ["generate", "--schema", prismaSchemaPath(database)], {
          cwd: BENCH_ROOT,
          timeout: GENERATE_TIMEOUT_MS,
          env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
        });
      } catch (error) {
        // The prisma contender then reports itself unavailable with the missing client's path.
        const output = (error as { stderr?: string }).stderr?.trim();
        log(`prisma generate failed for ${database}: ${output || (error as Error).message}`);
      }
    }),
  );
}

/** Entry point of `pnpm bench`: runs the comparison and writes the results. */
import { join } from "node:path";
import { HELP, parseOptions } from "./cli.js";
import { BENCH_ROOT } from "./machine.js";
import { generatePrismaClients } from "./prisma-generate.js";
import { writeReport, writeResult } from "./report.js";
import { runDatabase } from "./runner.js";

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));

  if (options.help) {
    process.stdout.write(`${HELP}\n`);

    return 0;
  }

  const resultsDir = options.resultsDir ?? join(BENCH_ROOT, "results", ...(options.quick ? ["quick"] : []));
  const docsDir = options.docsDir ?? (options.quick ? resultsDir : join(BENCH_ROOT, "..", "docs"));
  let failures = 0;

  if (options.contenders.includes("prisma")) {
    await generatePrismaClients(options.databases, (message) => process.stderr.write(`${message}\n`));
  }

  for (const database of options.databases) {
    const result = await runDatabase(database, {
      quick: options.quick,
      contenders: options.contenders,
      workloads: options.workloads,
      rounds: options.rounds,
      warmup: options.warmup,
      servers: { postgres: options.postgresUrl, mysql: options.mysqlUrl },
    });
    process.stderr.write(`[${database}] wrote ${writeResult(resultsDir, result)}\n`);
    failures += result.workloads.flatMap((workload) => Object.values(workload.contenders)).filter((item) => item.status === "failed").length;
  }

  const report = writeReport(resultsDir, docsDir);
  process.stderr.write(`wrote ${report.markdown} and ${report.svg}\n`);

  if (failures > 0) {
    process.stderr.write(`${failures} workload result(s) failed their checks; see the FAILED lines above.\n`);

    return 1;
  }

  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

/** Command-line options of `pnpm bench`. */
import { parseArgs } from "node:util";
import { CONTENDER_NAMES } from "./contenders/index.js";
import { DATABASE_NAMES, type DatabaseName } from "./types.js";
import { WORKLOADS } from "./workloads.js";

export interface Options {
  quick: boolean;
  databases: DatabaseName[];
  contenders: string[];
  workloads: string[];
  rounds: number | undefined;
  warmup: number | undefined;
  resultsDir: string | undefined;
  docsDir: string | undefined;
  postgresUrl: string;
  mysqlUrl: string;
  help: boolean;
}

export const HELP = `Usage: pnpm bench [options]

Compares Chakra ORM with the raw drivers and other ORMs on the same data.

Options:
  --quick               Small data set and few rounds (under a minute).
  --db LIST             Databases, comma-separated: ${DATABASE_NAMES.join(",")} (default: all).
  --contenders LIST     Contenders, comma-separated: ${CONTENDER_NAMES.join(",")} (default: all).
                        raw is always added, because ratios are relative to it.
  --workloads LIST      Workloads, comma-separated: ${WORKLOADS.map((workload) => workload.id).join(",")} (default: all).
  --rounds N            Timed rounds per workload (default 15, heavy workloads 5; --quick 3 and 1).
  --warmup N            Untimed rounds per workload before timing (default 30, heavy 1; --quick 1).
  --results-dir DIR     Where <database>.json goes (default bench/results, --quick bench/results/quick).
  --docs-dir DIR        Where benchmarks.md and benchmarks.svg go (default docs, --quick the results dir).
  --postgres-url URL    PostgreSQL server, without a database (default postgres://postgres@127.0.0.1:5432).
  --mysql-url URL       MySQL or MariaDB server, without a database (default mysql://root@127.0.0.1:3306).
  --help                Print this text.

The harness drops and recreates the database chakra_bench on each server.`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T[] | undefined {
  if (value === undefined) {
    return undefined;
  }

  const items = value.split(",").map((item) => item.trim()).filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));

  if (unknown.length > 0) {
    throw new Error(`Invalid ${option} value "${unknown.join(",")}". Choose from: ${allowed.join(", ")}.`);
  }

  return items as T[];
}

function count(value: string | undefined, option: string, minimum: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }

  const parsed = Number(value);

  if (!Number.isInteger(parsed) || parsed < minimum) {
    throw new Error(`Invalid ${option} value "${value}". Pass a whole number of ${minimum} or more.`);
  }

  return parsed;
}

export function parseOptions(argv: readonly string[]): Options {
  // `pnpm bench -- --quick` passes a literal "--" through the root script.
  const args = argv.filter((arg) => arg !== "--");
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      db: { type: "string" },
      contenders: { type: "string" },
      workloads: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      "results-dir": { type: "string" },
      "docs-dir": { type: "string" },
      "postgres-url": { type: "string" },
      "mysql-url": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const contenders = list(values.contenders, CONTENDER_NAMES, "--contenders") ?? [...CONTENDER_NAMES];

  return {
    quick: values.quick ?? false,
    databases: list(values.db, DATABASE_NAMES, "--db") ?? [...DATABASE_NAMES],
    contenders: contenders.includes("raw") ? contenders : ["raw", ...contenders],
    workloads: list(values.workloads, WORKLOADS.map((workload) => workload.id), "--workloads") ?? WORKLOADS.map((workload) => workload.id),
    rounds: count(values.rounds, "--rounds", 1),
    warmup: count(values.warmup, "--warmup", 0),
    resultsDir: values["results-dir"],
    docsDir: values["docs-dir"],
    postgresUrl: values["postgres-url"] ?? process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432",
    mysqlUrl: values["mysql-url"] ?? process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306",
    help: values.help ?? false,
  };
}

/**
 * Runs the workloads on one database. Contenders take turns within each
 * round (the order rotates every round) after untimed warm-up rounds, so
 * slow drift of the machine affects them all alike.
 */
import { buildDataset, type DatasetSize } from "./dataset.js";
import { createDatabase, loadDataset, type ServerUrls } from "./databases.js";
import { CONTENDERS, type ContenderEntry } from "./contenders/index.js";
import { describeMachine, packageVersion, type Machine } from "./machine.js";
import { NotAvailableError, type Contender, type DatabaseName } from "./types.js";
import { WORKLOADS, type OperationOutput, type Workload, type WorkloadContext, type WorkloadSizes } from "./workloads.js";

export type Status = "ok" | "failed" | "pending" | "unsupported" | "unavailable";

export interface ContenderResult {
  status: Status;
  /** Median time of one operation, in milliseconds. */
  medianMs?: number;
  /** medianMs divided by the raw driver's. */
  ratio?: number;
  samplesMs?: number[];
  /** Highest resident set size seen during an operation, stream workload only. */
  peakRssMiB?: number;
  /** Peak RSS minus RSS before the operation, stream workload only. */
  rssGrowthMiB?: number;
  error?: string;
}

export interface WorkloadResult {
  id: string;
  title: string;
  unit: string;
  rounds: number;
  warmup: number;
  contenders: Record<string, ContenderResult>;
}

export interface DatabaseResult {
  database: DatabaseName;
  mode: "full" | "quick";
  machine: Machine;
  dataset: DatasetSize;
  sizes: WorkloadSizes;
  /** Library versions per contender, or why it could not run. */
  contenders: Record<string, { status: "ok" | "unavailable"; packages: Record<string, string>; error?: string }>;
  workloads: WorkloadResult[];
}

export interface RunPlan {
  quick: boolean;
  contenders: string[];
  workloads: string[];
  rounds: number | undefined;
  warmup: number | undefined;
  servers: ServerUrls;
}

export const FULL_DATASET: DatasetSize = { users: 1000, posts: 10_000, tags: 50, tagsPerPost: 3 };
export const QUICK_DATASET: DatasetSize = { users: 100, posts: 1000, tags: 20, tagsPerPost: 3 };

export const FULL_SIZES: WorkloadSizes = { lookupsPerOperation: 100, minViews: 50_000, listLimit: 50, eagerLimit: 100, bulkRows: 10_000, streamRows: 200_000, burst: 20 };
// Sized so `--quick` with all eight contenders on all three databases stays
// under a minute on a 2-core machine.
export const QUICK_SIZES: WorkloadSizes = { lookupsPerOperation: 10, minViews: 50_000, listLimit: 50, eagerLimit: 100, bulkRows: 500, streamRows: 2000, burst: 2 };

/** Rows per batch for contenders that page through the stream workload. */
const STREAM_BATCH_SIZE = 1000;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);

  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mebibytes(bytes: number): number {
  return Math.round((bytes / 1024 ** 2) * 10) / 10;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return `${error.name}: ${error.message.split("\n")[0]}`;
  }

  return String(error);
}

function roundsFor(workload: Workload, plan: RunPlan): { rounds: number; warmup: number } {
  const defaultRounds = plan.quick ? { light: 3, heavy: 1 } : { light: 15, heavy: 5 };
  const rounds = plan.rounds ?? (workload.heavy ? defaultRounds.heavy : defaultRounds.light);
  // V8 optimizes a function only after many calls, so light workloads warm
  // up long enough for every contender's hot path to be compiled.
  const warmup = plan.warmup ?? (plan.quick || workload.heavy ? 1 : 30);

  return { rounds, warmup };
}

interface Timed {
  ms: number;
  peakRssBytes?: number;
  baselineRssBytes?: number;
}

/**
 * Times one sample: a single operation, or a burst of them for a short
 * workload, reported as the time per operation. Every operation's result
 * is checked and its writes undone after the clock stops.
 */
async function runOnce(workload: Workload, contender: Contender, context: WorkloadContext, round: number): Promise<Timed> {
  let baselineRssBytes: number | undefined;

  if (workload.id === "stream") {
    collectGarbage();
    baselineRssBytes = process.memoryUsage.rss();
  }

  const count = workload.short ? context.sizes.burst : 1;
  const first = round * count;
  const outputs: OperationOutput[] = [];
  const started = performance.now();

  for (let index = 0; index < count; index += 1) {
    outputs.push(await workload.run(contender, context, first + index));
  }

  const ms = (performance.now() - started) / count;

  try {
    for (const [index, output] of outputs.entries()) {
      await workload.verify(output, context, first + index);
    }
  } finally {
    for (let index = 0; index < count; index += 1) {
      await workload.reset?.(context, first + index);
    }
  }

  return { ms, peakRssBytes: outputs[0]?.peakRssBytes, baselineRssBytes };
}

async function runWorkload(workload: Workload, contenders: Contender[], context: WorkloadContext, plan: RunPlan): Promise<WorkloadResult> {
  const { rounds, warmup } = roundsFor(workload, plan);
  const results: Record<string, ContenderResult> = {};
  const samples = new Map<string, Timed[]>();
  let active = [...contenders];

  const fail = (contender: Contender, error: unknown) => {
    const status: Status = error instanceof NotAvailableError ? error.status : "failed";
    results[contender.name] = { status, error: describeError(error) };
    active = active.filter((item) => item !== contender);
    log(`  ${status === "failed" ? "FAILED" : status}: ${contender.name} ${workload.id}: ${describeError(error)}`);
  };

  await workload.prepare?.(context);

  // Warm-up rounds use negative round numbers, so their inputs differ from the timed ones.
  for (let round = -warmup; round < rounds; round += 1) {
    if (active.length === 0) {
      break;
    }

    const offset = ((round % active.length) + active.length) % active.length;
    const order = [...active.slice(offset), ...active.slice(0, offset)];

    for (const contender of order) {
      try {
        const timed = await runOnce(workload, contender, context, round);

        if (round >= 0) {
          samples.set(contender.name, [...(samples.get(contender.name) ?? []), timed]);
        }
      } catch (error) {
        fail(contender, error);
      }
    }
  }

  await workload.finish?.(context);

  for (const contender of contenders) {
    const timed = samples.get(contender.name);

    if (results[contender.name] || !timed) {
      continue;
    }

    const result: ContenderResult = { status: "ok", medianMs: median(timed.map((item) => item.ms)), samplesMs: timed.map((item) => Math.round(item.ms * 1000) / 1000) };

    if (workload.id === "stream") {
      const peak = Math.max(...timed.map((item) => item.peakRssBytes ?? 0));
      result.peakRssMiB = mebibytes(peak);
      result.rssGrowthMiB = mebibytes(Math.max(...timed.map((item) => (item.peakRssBytes ?? 0) - (item.baselineRssBytes ?? 0))));
    }

    results[contender.name] = result;
  }

  const baseline = results.raw?.medianMs;

  for (const result of Object.values(results)) {
    if (result.medianMs !== undefined && baseline) {
      result.ratio = Math.round((result.medianMs / baseline) * 1000) / 1000;
    }
  }

  return { id: workload.id, title: workload.title, unit: workload.unit(context.sizes), rounds, warmup, contenders: results };
}

function summarize(result: WorkloadResult): string {
  const parts = Object.entries(result.contenders).map(([name, item]) =>
    item.status === "ok" ? `${name} ${item.medianMs!.toFixed(2)} ms${item.ratio === undefined ? "" : ` (${item.ratio.toFixed(2)}x)`}` : `${name} ${item.status}`,
  );

  return parts.join(", ");
}

async function openContenders(entries: ContenderEntry[], context: WorkloadContext, result: DatabaseResult): Promise<Contender[]> {
  const opened: Contender[] = [];

  for (const entry of entries) {
    const packages = Object.fromEntries(entry.packages(context.target).map((name) => [name, packageVersion(name)]));

    try {
      opened.push(await entry.open(context.target));
      result.contenders[entry.name] = { status: "ok", packages };
    } catch (error) {
      result.contenders[entry.name] = { status: "unavailable", packages, error: describeError(error) };
      log(`  unavailable: ${entry.name} on ${context.target.database}: ${describeError(error)}`);
    }
  }

  return opened;
}

/** Creates and loads the database, runs the chosen workloads, and closes everything. */
export async function runDatabase(database: DatabaseName, plan: RunPlan): Promise<DatabaseResult> {
  const datasetSize = plan.quick ? QUICK_DATASET : FULL_DATASET;
  const sizes = plan.quick ? QUICK_SIZES : FULL_SIZES;
  const dataset = buildDataset(datasetSize);
  log(`[${database}] creating the database and loading ${dataset.posts.length} posts`);
  const { target, admin, cleanup } = await createDatabase(database, plan.servers, STREAM_BATCH_SIZE);
  const result: DatabaseResult = { database, mode: plan.quick ? "quick" : "full", machine: describeMachine(), dataset: datasetSize, sizes, contenders: {}, workloads: [] };

  try {
    await loadDataset(database, admin, dataset);
    const context: WorkloadContext = { dataset, admin, target, sizes };
    const entries = CONTENDERS.filter((entry) => plan.contenders.includes(entry.name));
    const contenders = await openContenders(entries, context, result);

    try {
      const workloads = WORKLOADS.filter((workload) => plan.workloads.includes(workload.id));

      for (const [index, workload] of workloads.entries()) {
        log(`[${database}] ${index + 1}/${workloads.length} ${workload.id}: ${workload.unit(sizes)}`);
        const workloadResult = await runWorkload(workload, contenders, context, plan);

        for (const entry of entries) {
          const unavailable = result.contenders[entry.name];

          if (unavailable?.status === "unavailable") {
            workloadResult.contenders[entry.name] = { status: "unavailable", error: unavailable.error };
          }
        }

        result.workloads.push(workloadResult);
        log(`[${database}]   ${summarize(workloadResult)}`);
      }
    } finally {
      for (const contender of contenders) {
        await contender.close().catch((error: unknown) => log(`  closing ${contender.name} failed: ${describeError(error)}`));
      }
    }
  } finally {
    await cleanup();
  }

  return result;
}

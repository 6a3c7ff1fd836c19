/**
 * Memory stays flat across many small queries: 10,000 per dialect here, so
 * the default run stays short, or CHAKRA_MEMORY_QUERIES. The memory script
 * runs 50,000 by default and a million with --queries 1000000.
 * Heap figures are exact only under node --expose-gc; without it the
 * heap bound is loose.
 */
import { eachDialect } from "../../src/dialects";
import { runMemoryProbe } from "../../src/memory-probe";

const QUERIES = Number(process.env.CHAKRA_MEMORY_QUERIES ?? 10_000);
/** Heap growth allowed over the run, in MiB: caches warm up, leaks grow per query. */
const HEAP_SLACK_MB = 32;

eachDialect("reliability memory", ({ db }) => {
  test("heap, listeners and statements stay flat", async () => {
    const report = await runMemoryProbe(db(), QUERIES);
    process.stdout.write(`${db().dialect.name} memory: ${JSON.stringify(report)}\n`);

    expect(report.after.listeners).toBe(report.before.listeners);
    expect(report.after.activeResources).toBeLessThanOrEqual(report.before.activeResources + 2);
    expect(report.after.preparedStatements).toBeLessThanOrEqual(report.before.preparedStatements);
    expect(report.after.heapUsedMb - report.before.heapUsedMb).toBeLessThan(HEAP_SLACK_MB);
  }, 300_000);
});

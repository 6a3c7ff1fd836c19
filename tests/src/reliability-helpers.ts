/** Shared helpers of the reliability suite: run counts and query capture. */
import { type Database, type QueryEvent } from "@chakra-orm/core";

/**
 * Runs per fast-check property: 60 by default, so the fuzz file stays
 * well under a minute, or CHAKRA_FUZZ_RUNS for a longer search.
 */
export function fuzzRuns(fallback = 60): number {
  const configured = Number(process.env.CHAKRA_FUZZ_RUNS);

  return Number.isInteger(configured) && configured > 0 ? configured : fallback;
}

/** True when the opt-in tests that start private database servers should run. */
export const FAULT_TESTS = process.env.CHAKRA_FAULT_TESTS === "1";

/** Records the `query` events of `db` while `fn` runs, including failed ones. */
export async function captureQueries<T>(
  db: Database,
  fn: () => Promise<T>,
): Promise<{ events: QueryEvent[]; result?: T; error?: unknown }> {
  const events: QueryEvent[] = [];
  const listener = (event: QueryEvent) => events.push(event);
  db.on("query", listener);

  try {
    const result = await fn();

    return { events, result };
  } catch (error) {
    return { events, error };
  } finally {
    db.off("query", listener);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `fn()` or rejects with an Error once `ms` milliseconds pass. */
export async function within<T>(ms: number, label: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not settle within ${ms} ms`)), ms);
  });

  try {
    return await Promise.race([fn(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

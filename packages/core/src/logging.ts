import type { QueryEvent } from "./database.js";

/**
 * Writes one line per query to stderr; enabled by `CHAKRA_LOG=queries`.
 * This is the only place in core that writes to a stream.
 */
export function stderrQueryLogger(event: QueryEvent): void {
  const status = event.error ? ` failed: ${(event.error as Error).message}` : "";
  const params = event.params ? ` params=${JSON.stringify(event.params, bigintSafe)}` : "";

  process.stderr.write(
    `[chakra] ${event.connection} ${event.dialect} ${event.durationMs.toFixed(2)}ms rows=${event.rowCount} params=${event.parameterCount}${event.inTransaction ? " tx" : ""} ${event.sql}${params}${status}\n`,
  );
}

function bigintSafe(_key: string, item: unknown): unknown {
  return typeof item === "bigint" ? item.toString() : item;
}

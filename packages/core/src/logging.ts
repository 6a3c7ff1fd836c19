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

/** Writes an error from an onCommit callback that no `callbackError` listener handled. */
export function logCallbackError(connection: string, error: unknown): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);

  process.stderr.write(`[chakra] ${connection}: an onCommit callback failed after the commit: ${text}\n`);
}

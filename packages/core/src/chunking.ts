/** Splits bulk writes into statements that fit a dialect's limits. */
import type { Dialect } from "./dialect.js";

export interface ChunkLimits {
  /** Bound parameters each row adds to the statement. */
  parametersPerRow: number;
  /** Rows per statement requested by the caller (`batchSize`), if any. */
  batchSize?: number;
  /** A further cap on rows per statement, such as a dialect rule. */
  maxRows?: number;
}

/** Bytes counted for a value of a fixed-size type, and the framing of every value. */
const FIXED_VALUE_BYTES = 16;

/**
 * Estimates the bytes a row's values take on the wire: UTF-8 length of
 * strings, length of binary values, JSON text of objects, plus a fixed
 * overhead per value. It is an estimate, so callers budget well below a
 * hard limit.
 */
export function estimateRowBytes(row: readonly unknown[]): number {
  let total = 0;

  for (const item of row) {
    total += FIXED_VALUE_BYTES;

    if (typeof item === "string") {
      total += Buffer.byteLength(item, "utf8");
    } else if (item instanceof Uint8Array) {
      total += item.byteLength;
    } else if (typeof item === "object" && item !== null && !(item instanceof Date)) {
      total += Buffer.byteLength(JSON.stringify(item) ?? "", "utf8");
    }
  }

  return total;
}

/**
 * Returns `[start, end)` index ranges of `rows`, each one statement that
 * stays within the dialect's bound-parameter limit, its byte budget
 * (`maxStatementBytes`) and the row caps in `limits`. A single row larger
 * than the byte budget still gets a statement of its own.
 */
export function chunkRanges(
  dialect: Dialect,
  rows: readonly (readonly unknown[])[],
  limits: ChunkLimits,
): [number, number][] {
  const byParameters = Math.max(1, Math.floor(dialect.maxParameters / Math.max(1, limits.parametersPerRow)));
  const maxRows = Math.max(1, Math.min(byParameters, limits.batchSize ?? byParameters, limits.maxRows ?? byParameters));
  const maxBytes = dialect.maxStatementBytes;
  const ranges: [number, number][] = [];

  if (maxBytes === undefined) {
    for (let start = 0; start < rows.length; start += maxRows) {
      ranges.push([start, Math.min(rows.length, start + maxRows)]);
    }

    return ranges;
  }

  let start = 0;
  let bytes = 0;

  for (let index = 0; index < rows.length; index += 1) {
    const size = estimateRowBytes(rows[index]!);
    const full = index - start >= maxRows || (index > start && bytes + size > maxBytes);

    if (full) {
      ranges.push([start, index]);
      start = index;
      bytes = 0;
    }

    bytes += size;
  }

  if (start < rows.length) {
    ranges.push([start, rows.length]);
  }

  return ranges;
}

/**
 * Builds result rows as objects from column names and array rows, with
 * every column as an own property. Drivers that fill objects by assignment
 * drop a column named `__proto__`, because that assignment sets the
 * object's prototype instead.
 */
export function rowObjects(names: readonly string[], rows: readonly unknown[][]): Record<string, unknown>[] {
  const unsafe = names.includes("__proto__");

  return rows.map((row) => {
    const item: Record<string, unknown> = {};

    for (let index = 0; index < names.length; index += 1) {
      if (unsafe && names[index] === "__proto__") {
        Object.defineProperty(item, "__proto__", { value: row[index], enumerable: true, writable: true, configurable: true });
      } else {
        item[names[index]!] = row[index];
      }
    }

    return item;
  });
}

/** Splits rows that were read at once into batches of at most `size`, for a driver's stream(). */
export function* rowBatches(rows: readonly unknown[][], size: number): Generator<unknown[][]> {
  const step = Math.max(1, size);

  for (let start = 0; start < rows.length; start += step) {
    yield rows.slice(start, start + step);
  }
}

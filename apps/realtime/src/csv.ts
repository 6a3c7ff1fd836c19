/** Reads the dataset's CSV files and converts their text fields to typed values. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";

/** One CSV record: a string, or null for the unquoted NULL marker `\N`. */
export type CsvRecord = Record<string, string | null>;

export interface CsvTable {
  file: string;
  records: CsvRecord[];
}

/**
 * Parses `dir/name.csv` (RFC 4180, header line first). An unquoted `\N` is
 * NULL, while a quoted `""` stays an empty string. Raises when a column in
 * `expectedColumns` is missing from the header.
 */
export function readCsv(
  dir: string,
  name: string,
  expectedColumns: readonly string[],
): CsvTable {
  const file = path.join(dir, `${name}.csv`);
  const text = readFileSync(file, "utf8");
  const records = parse(text, {
    columns: (header: string[]) => {
      const missing = expectedColumns.filter(
        (column) => !header.includes(column),
      );

      if (missing.length > 0) {
        throw new Error(
          `${file}: missing column(s) ${missing.join(", ")} in the header line.`,
        );
      }

      return header;
    },
    cast: (value, context) =>
      !context.quoting && value === "\\N" ? null : value,
  }) as CsvRecord[];

  return { file, records };
}

/** Typed accessors for one record, with errors that name the file, row and column. */
export class RecordReader {
  constructor(
    private readonly file: string,
    private readonly record: CsvRecord,
    /** 1-based data row number, not counting the header. */
    private readonly row: number,
  ) {}

  private fail(column: string, expected: string): never {
    throw new Error(
      `${this.file} row ${this.row}, column ${column}: invalid value ${JSON.stringify(this.record[column])}; expected ${expected}.`,
    );
  }

  optionalText(column: string): string | null {
    return this.record[column] ?? null;
  }

  text(column: string): string {
    const value = this.optionalText(column);

    return value === null ? this.fail(column, "a value, not NULL") : value;
  }

  optionalInteger(column: string): number | null {
    const value = this.optionalText(column);

    if (value === null) {
      return null;
    }

    return /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))
      ? Number(value)
      : this.fail(column, "an integer");
  }

  integer(column: string): number {
    const value = this.optionalInteger(column);

    return value === null ? this.fail(column, "an integer, not NULL") : value;
  }

  /** Reads `YYYY-MM-DD HH:MM:SS[.fff]`, which the dataset writes in UTC. */
  optionalTimestamp(column: string): Date | null {
    const value = this.optionalText(column);

    if (value === null) {
      return null;
    }

    const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(\.\d{1,3})?)$/.exec(
      value,
    );
    const date = match ? new Date(`${match[1]}T${match[2]}Z`) : undefined;

    return date && !Number.isNaN(date.getTime())
      ? date
      : this.fail(column, "a UTC timestamp YYYY-MM-DD HH:MM:SS.fff");
  }

  timestamp(column: string): Date {
    const value = this.optionalTimestamp(column);

    return value === null ? this.fail(column, "a timestamp, not NULL") : value;
  }
}

/** Pairs each record of a table with a reader for it. */
export function readersOf(table: CsvTable): RecordReader[] {
  return table.records.map(
    (record, index) => new RecordReader(table.file, record, index + 1),
  );
}

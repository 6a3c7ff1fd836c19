/**
 * Column types and value conversion between Chakra field kinds and what
 * mysql2 binds and returns on MySQL 8 and MariaDB.
 */
import { NotSupportedError, storageField, type Field } from "@chakra-orm/core";
import mysql2 from "mysql2/promise";

/**
 * The longest varchar in characters: InnoDB rows hold at most 65,535 bytes
 * and utf8mb4 takes up to 4 bytes a character.
 */
const MAX_VARCHAR_LENGTH = 16_383;

/** MySQL and MariaDB allow at most 30 digits after the decimal point. */
const MAX_DECIMAL_SCALE = 30;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Wraps an integer as a BIGINT parameter, so the server compares it exactly rather than as a double. */
export function bigintParameter(item: number | bigint | string): unknown {
  return mysql2.TypedParameter.BIGINT(typeof item === "string" ? BigInt(item) : item);
}

/** The SQL type of a field's column; a foreign key takes its target key's type. */
export function mysqlColumnType(item: Field): string {
  const stored = storageField(item);

  switch (stored.kind) {
    case "id":
    case "integer":
    case "version":
      return "int";
    case "bigInteger":
      return "bigint";
    case "float":
      return "double";
    case "decimal": {
      const precision = stored.options.precision as number;
      const scale = stored.options.scale as number;

      if (scale > MAX_DECIMAL_SCALE) {
        throw new NotSupportedError(
          `${item.label}: MySQL and MariaDB allow a decimal scale of at most ${MAX_DECIMAL_SCALE}, got ${scale}. Lower the scale.`,
          { dialect: "mysql", field: item.name },
        );
      }

      return `decimal(${precision}, ${scale})`;
    }
    case "string":
    case "enum": {
      const maxLength = (stored.options.maxLength as number | undefined) ?? 255;

      if (maxLength > MAX_VARCHAR_LENGTH) {
        throw new NotSupportedError(
          `${item.label}: maxLength ${maxLength} exceeds the MySQL varchar limit of ${MAX_VARCHAR_LENGTH} utf8mb4 characters. Use field.text() for longer text.`,
          { dialect: "mysql", field: item.name },
        );
      }

      return `varchar(${maxLength})`;
    }
    case "text":
      return "longtext";
    case "boolean":
      return "tinyint(1)";
    case "dateTime":
      return "datetime(3)";
    case "date":
      return "date";
    case "time":
      return "time(6)";
    case "json":
      // MariaDB makes JSON an alias of LONGTEXT with a JSON_VALID check.
      return "json";
    case "uuid":
      return "char(36)";
    case "binary":
      return "longblob";
    default:
      throw new NotSupportedError(`${item.label}: field kind "${stored.kind}" has no MySQL column type.`, {
        dialect: "mysql",
        field: item.name,
      });
  }
}

function pad(number: number, width: number): string {
  return String(number).padStart(width, "0");
}

/** Formats a Date as a UTC DATETIME literal, `YYYY-MM-DD HH:MM:SS.mmm`. */
export function formatDateTime(date: Date): string {
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

/**
 * Parses a DATETIME string as UTC. mysql2 is not used for this because its
 * binary-protocol reader passes the year to Date.UTC, which maps years 0-99
 * to 1900-1999.
 */
export function parseDateTime(text: string): Date {
  return parseFixedDateTime(text) ?? parseDateTimeText(text);
}

/** Reads the digits at `start` to `end` (exclusive), or -1 if one is not a digit. */
function digits(text: string, start: number, end: number): number {
  let value = 0;

  for (let index = start; index < end; index += 1) {
    const code = text.charCodeAt(index) - 48;

    if (code < 0 || code > 9) {
      return -1;
    }

    value = value * 10 + code;
  }

  return value;
}

/**
 * Reads the text mysql2 writes, `YYYY-MM-DD HH:MM:SS` with an optional
 * fraction, by character codes, because a large result parses one per row.
 * Returns undefined for any other layout, which the regular expression reads.
 */
function parseFixedDateTime(text: string): Date | undefined {
  const separator = text.charCodeAt(10);

  if (
    text.length < 19 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    (separator !== 32 && separator !== 84) ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }

  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hours = digits(text, 11, 13);
  const minutes = digits(text, 14, 16);
  const seconds = digits(text, 17, 19);
  let milliseconds = 0;

  if (text.length > 19) {
    const end = Math.min(text.length, 23);

    if (text.charCodeAt(19) !== 46 || text.length < 21 || text.length > 26 || digits(text, 20, text.length) < 0) {
      return undefined;
    }

    milliseconds = digits(text, 20, end) * 10 ** (23 - end);
  }

  if (year < 0 || month < 0 || day < 0 || hours < 0 || minutes < 0 || seconds < 0) {
    return undefined;
  }

  // Date.UTC reads years 0 to 99 as 1900 to 1999, so those get set apart.
  if (year >= 100) {
    return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds));
  }

  const date = new Date(Date.UTC(2000, month - 1, day, hours, minutes, seconds, milliseconds));
  date.setUTCFullYear(year);

  return date;
}

function parseDateTimeText(text: string): Date {
  const match = DATE_TIME.exec(text);

  if (!match) {
    return new Date(Number.NaN);
  }

  const [, year, month, day, hours, minutes, seconds, fraction] = match;
  const date = new Date(
    Date.UTC(2000, Number(month) - 1, Number(day), Number(hours), Number(minutes), Number(seconds), Number((fraction ?? "").padEnd(3, "0").slice(0, 3))),
  );
  date.setUTCFullYear(Number(year));

  return date;
}

/** Drops trailing zeros after the point, as core's validation writes decimals. */
function canonicalDecimal(text: string): string {
  if (!text.includes(".")) {
    return text;
  }

  const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");

  return trimmed === "-0" ? "0" : trimmed;
}

/** Drops a zero fraction from a TIME string: `12:30:00.000000` becomes `12:30:00`. */
function canonicalTime(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/**
 * Converts a value to what mysql2 binds. Dates become UTC DATETIME strings,
 * so neither the session time zone nor mysql2's `timezone` option changes them.
 */
export function toMysql(item: unknown, target: Field | undefined): unknown {
  if (item === null || item === undefined) {
    return null;
  }

  const kind = target ? storageField(target).kind : undefined;

  switch (kind) {
    case "bigInteger":
      return typeof item === "bigint" || typeof item === "number" || typeof item === "string" ? bigintParameter(item) : item;
    case "boolean":
      return typeof item === "boolean" ? Number(item) : item;
    case "json":
      return JSON.stringify(item);
    case "uuid":
      return typeof item === "string" ? item.toLowerCase() : item;
    case "date":
      return item instanceof Date ? formatDateTime(item).slice(0, 10) : item;
    default:
      break;
  }

  if (item instanceof Date) {
    return formatDateTime(item);
  }

  if (typeof item === "bigint") {
    return bigintParameter(item);
  }

  return item;
}

const identity = (raw: unknown): unknown => raw;

/**
 * Returns the converter for values read from a field's column. The driver
 * reads BIGINT and DECIMAL as strings, DATE and DATETIME as strings, and
 * JSON as text (MariaDB stores JSON as LONGTEXT).
 */
export function fromMysql(item: Field): (raw: unknown) => unknown {
  switch (storageField(item).kind) {
    case "id":
    case "integer":
    case "version":
    case "float":
      return (raw) => (typeof raw === "number" ? raw : Number(raw));
    case "bigInteger":
      return (raw) => (typeof raw === "bigint" ? raw : BigInt(raw as string | number));
    case "decimal":
      return (raw) => canonicalDecimal(String(raw));
    case "boolean":
      return (raw) => Number(raw) !== 0;
    case "dateTime":
      return (raw) => (raw instanceof Date ? raw : parseDateTime(String(raw)));
    case "date":
      return (raw) => (raw instanceof Date ? formatDateTime(raw).slice(0, 10) : String(raw));
    case "time":
      return (raw) => canonicalTime(String(raw));
    case "json":
      return (raw) => (typeof raw === "string" || Buffer.isBuffer(raw) ? JSON.parse(raw.toString()) : raw);
    default:
      return identity;
  }
}

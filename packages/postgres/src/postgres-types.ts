/**
 * Value converters between Chakra field kinds and what `pg` sends and
 * receives. pg's own parsers handle booleans, int4, float8, bytea and jsonb.
 * Dates and timestamps stay text until this module converts them, so no
 * value passes through the Node process's local time zone.
 */
import { storageField, type Field } from "@chakra-orm/core";
import pg from "pg";

/** PostgreSQL type OIDs, from the `pg_type` catalog of PostgreSQL 15. */
const OID = {
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

function keepText(text: string): string {
  return text;
}

/**
 * Type parsers for every query: pg's defaults, except that `date`,
 * `timestamp` and `timestamptz` stay text. pg's default parses a `date`
 * into a local-time Date, which shifts the day in zones west of UTC.
 */
export const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === OID.date || oid === OID.timestamp || oid === OID.timestamptz) {
      return keepText;
    }

    return pg.types.getTypeParser(oid, format ?? "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * Converts a JS value into what pg binds for `field`. JSON is always sent
 * as text because pg turns a JS array into a PostgreSQL array literal.
 */
export function toPostgresValue(item: unknown, field: Field | undefined): unknown {
  if (item === null || item === undefined) {
    return null;
  }

  if (field && storageField(field).kind === "json") {
    return JSON.stringify(item);
  }

  if (typeof item === "bigint") {
    return item.toString();
  }

  if (item instanceof Date) {
    // ISO 8601 with `Z` is read as UTC whatever the session's TimeZone is.
    return item.toISOString();
  }

  if (item instanceof Uint8Array && !Buffer.isBuffer(item)) {
    return Buffer.from(item.buffer, item.byteOffset, item.byteLength);
  }

  return item;
}

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/**
 * Parses PostgreSQL's text output of `timestamptz` or `timestamp` into a
 * Date. A value without an offset is read as UTC. `infinity` becomes the
 * latest or earliest instant a Date can hold.
 */
export function parseTimestamp(text: string): Date {
  if (text === "infinity") {
    return new Date(8.64e15);
  }

  if (text === "-infinity") {
    return new Date(-8.64e15);
  }

  const match = TIMESTAMP.exec(text);

  if (!match) {
    return new Date(Number.NaN);
  }

  const [, year, month, day, hour, minute, second, fraction] = match;
  const [sign, offsetHours, offsetMinutes, offsetSeconds, era] = match.slice(8);
  const milliseconds = fraction ? Math.round(Number(fraction) * 1000) : 0;
  // Date.UTC maps years 0 to 99 onto 1900 to 1999, so set the year apart.
  const date = new Date(
    Date.UTC(2000, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), milliseconds),
  );
  date.setUTCFullYear(era ? 1 - Number(year) : Number(year));

  if (sign) {
    const offset =
      Number(offsetHours) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0);
    date.setTime(date.getTime() - (sign === "-" ? -offset : offset) * 1000);
  }

  return date;
}

/**
 * Rewrites PostgreSQL's `numeric` text in core's canonical decimal form,
 * without trailing zeros after the point, so a value reads back exactly as
 * it was saved. `numeric(20,6)` prints 12.5 as `12.500000`.
 */
export function canonicalDecimal(text: string): string {
  if (!text.includes(".")) {
    return text;
  }

  const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");

  return trimmed === "-0" ? "0" : trimmed;
}

type Reader = (raw: unknown) => unknown;

const identity: Reader = (raw) => raw;
const toNumber: Reader = (raw) => (typeof raw === "string" ? Number(raw) : raw);
const toBigInt: Reader = (raw) =>
  typeof raw === "bigint" ? raw : BigInt(raw as string | number);
const toDecimal: Reader = (raw) => canonicalDecimal(String(raw));
const toDate: Reader = (raw) => (raw instanceof Date ? raw : parseTimestamp(String(raw)));
const toDateOnly: Reader = (raw) =>
  raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw);
const toBoolean: Reader = (raw) => (typeof raw === "string" ? raw === "t" || raw === "true" : raw);

/**
 * Returns the converter for values read from `field`'s column. int8 and
 * numeric arrive as text from pg, so bigInteger becomes a bigint here and
 * decimal stays a string.
 */
export function postgresReader(field: Field): Reader {
  const stored = storageField(field);

  if (stored.kind === "array") {
    // pg parses arrays of built-in types; each item is converted like a column of the item's kind.
    const readItem = postgresReader(stored.options.item as Field);
    const readEntry = (entry: unknown) => (entry === null ? null : readItem(entry));

    return (raw) => (Array.isArray(raw) ? raw.map(readEntry) : raw);
  }

  switch (stored.kind) {
    case "id":
    case "integer":
    case "version":
    case "float":
      return toNumber;
    case "bigInteger":
      return toBigInt;
    case "decimal":
      return toDecimal;
    case "dateTime":
      return toDate;
    case "date":
      return toDateOnly;
    case "boolean":
      return toBoolean;
    default:
      return identity;
  }
}

import { storageField, type Field } from "@chakra-orm/core";

type Reader = ((raw: unknown) => unknown) | null;

/**
 * Converts a JS value into what better-sqlite3 binds. SQLite has no boolean,
 * date or decimal type: booleans are 0/1, date-times ISO-8601 text in UTC
 * (which sorts in time order), decimals text so no digit is lost.
 */
export function toSqlite(item: unknown, field: Field | undefined): unknown {
  if (item === null || item === undefined) {
    return null;
  }

  const kind = field ? storageField(field).kind : undefined;

  switch (kind) {
    case "boolean":
      return item ? 1 : 0;
    case "dateTime":
      return item instanceof Date ? item.toISOString() : item;
    case "json":
      return JSON.stringify(item);
    case "bigInteger":
      return typeof item === "bigint" ? item : BigInt(item as number);
    case "decimal":
      return String(item);
    case "binary":
      return item instanceof Uint8Array && !Buffer.isBuffer(item) ? Buffer.from(item) : item;
    default:
      return plainValue(item);
  }
}

function plainValue(item: unknown): unknown {
  if (typeof item === "boolean") {
    return item ? 1 : 0;
  }

  if (item instanceof Date) {
    return item.toISOString();
  }

  if (item instanceof Uint8Array && !Buffer.isBuffer(item)) {
    return Buffer.from(item);
  }

  return item;
}

/** Returns the converter for values read from a field's column, or null for none. */
export function fromSqlite(field: Field): Reader {
  switch (storageField(field).kind) {
    case "boolean":
      return (raw) => raw === 1 || raw === 1n || raw === true;
    case "dateTime":
      return (raw) => new Date(typeof raw === "string" ? raw : Number(raw));
    case "json":
      return (raw) => (typeof raw === "string" ? JSON.parse(raw) : raw);
    case "bigInteger":
      return (raw) => (typeof raw === "bigint" ? raw : BigInt(raw as number | string));
    case "decimal":
      return (raw) => String(raw);
    case "id":
    case "integer":
    case "version":
    case "float":
      return (raw) => (typeof raw === "bigint" ? Number(raw) : raw);
    default:
      return null;
  }
}

/** The column type of a field. Decimals are TEXT so they keep every digit. */
export function sqliteColumnType(field: Field): string {
  switch (storageField(field).kind) {
    case "id":
    case "integer":
    case "bigInteger":
    case "version":
    case "boolean":
      return "integer";
    case "float":
      return "real";
    case "binary":
      return "blob";
    case "decimal":
    case "string":
    case "text":
    case "enum":
    case "dateTime":
    case "date":
    case "time":
    case "json":
    case "uuid":
      return "text";
    default:
      return "text";
  }
}

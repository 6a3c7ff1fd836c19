import { ValidationError, describeValue } from "./errors.js";
import { ForeignKeyField, type Field } from "./fields.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d)(\.\d{1,6})?)?$/;
const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** The earliest and latest instants every dialect stores: years 1 to 9999. */
const MIN_TIME = new Date("0001-01-01T00:00:00.000Z").getTime();
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function fail(field: Field, value: unknown, expected: string): never {
  throw new ValidationError(
    `Invalid value ${describeValue(value)} for ${field.label}: expected ${expected}.`,
    { model: field.model?.name, field: field.name, value },
  );
}

function checkText(field: Field, value: unknown): string {
  if (typeof value !== "string") {
    fail(field, value, "a string");
  }

  if (value.includes("\u0000")) {
    fail(field, value, "text without NUL characters (PostgreSQL cannot store them; use a binary field for raw bytes)");
  }

  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    fail(field, value, "well-formed Unicode text (it contains a lone surrogate, which UTF-8 cannot encode)");
  }

  const maxLength = field.options.maxLength as number | undefined;

  if (maxLength !== undefined && field.kind === "string") {
    let length = 0;

    for (const _character of value) {
      length += 1;
    }

    if (length > maxLength) {
      fail(field, value, `at most ${maxLength} characters, got ${length}; raise maxLength or shorten the text`);
    }
  }

  return value;
}

function checkDecimal(field: Field, value: unknown): string {
  let text: string;

  if (typeof value === "number" && Number.isFinite(value)) {
    text = String(value);
  } else if (typeof value === "bigint") {
    text = value.toString();
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    fail(field, value, "a decimal string such as \"12.50\"");
  }

  const match = DECIMAL.exec(text);

  if (!match || (match[2] === "" && (match[3] ?? "") === "") || /e/i.test(text)) {
    fail(field, value, "a decimal string such as \"12.50\"");
  }

  const precision = field.options.precision as number;
  const scale = field.options.scale as number;
  const integerDigits = match[2]!.replace(/^0+(?=\d)/, "");
  const fraction = (match[3] ?? "").replace(/0+$/, "");

  if (fraction.length > scale) {
    fail(field, value, `at most ${scale} digits after the point`);
  }

  if (integerDigits.replace(/^0+$/, "").length > precision - scale) {
    fail(field, value, `at most ${precision - scale} digits before the point (precision ${precision}, scale ${scale})`);
  }

  const sign = match[1] === "-" && /[1-9]/.test(integerDigits + fraction) ? "-" : "";
  const whole = integerDigits === "" ? "0" : integerDigits;

  return fraction ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

function checkJson(field: Field, value: unknown): unknown {
  try {
    const text = JSON.stringify(value, (key, item: unknown) => {
      if (typeof item === "number" && !Number.isFinite(item)) {
        throw new Error(`${item} is not representable in JSON`);
      }

      // PostgreSQL's jsonb rejects \u0000 and unpaired surrogate escapes.
      for (const part of [key, item]) {
        if (typeof part === "string" && (part.includes("\u0000") || !(part as string & { isWellFormed(): boolean }).isWellFormed())) {
          throw new Error(`${describeValue(part)} contains a NUL character or a lone surrogate`);
        }
      }

      return item;
    });

    if (text === undefined) {
      fail(field, value, "a JSON value (got something JSON.stringify drops)");
    }
  } catch (error) {
    if (error instanceof ValidationError) {
      throw error;
    }

    fail(field, value, `a JSON value (${(error as Error).message})`);
  }

  return value;
}

/**
 * Checks a value against its field and returns it in canonical form, or
 * throws a ValidationError naming the field, the value and what fits.
 */
export function validateValue(field: Field, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (field.nullable || field.kind === "id") {
      return null;
    }

    fail(field, value, "a value (the field is not nullable; pass a value or declare it { nullable: true })");
  }

  const choices = field.options.choices as readonly unknown[] | undefined;

  if (choices && !choices.includes(value)) {
    fail(field, value, `one of ${choices.map((choice) => describeValue(choice)).join(", ")}`);
  }

  if (field instanceof ForeignKeyField) {
    const targetPk = field.targetModel.$meta.pk;

    return validateValue(targetPk, value);
  }

  switch (field.kind) {
    case "id":
    case "integer":
    case "version":
      if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        fail(field, value, `a whole number between ${INT32_MIN} and ${INT32_MAX}; use field.bigInteger() for larger values`);
      }

      return value;
    case "bigInteger": {
      const big = typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;

      if (typeof big !== "bigint" || big < INT64_MIN || big > INT64_MAX) {
        fail(field, value, "a bigint between -(2n ** 63n) and 2n ** 63n - 1n");
      }

      return big;
    }
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        fail(field, value, "a finite number (NaN and Infinity are not stored the same way on every database)");
      }

      return value;
    case "decimal":
      return checkDecimal(field, value);
    case "string":
    case "text":
    case "enum":
      return checkText(field, value);
    case "boolean":
      if (typeof value !== "boolean") {
        fail(field, value, "true or false");
      }

      return value;
    case "dateTime":
      if (!(value instanceof Date) || Number.isNaN(value.getTime()) || value.getTime() < MIN_TIME || value.getTime() > MAX_TIME) {
        fail(field, value, "a valid Date between the years 1 and 9999");
      }

      return value;
    case "date": {
      const text = value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value;
      const match = typeof text === "string" ? DATE.exec(text) : null;

      if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
        fail(field, value, "a date string YYYY-MM-DD");
      }

      return text;
    }
    case "time":
      if (typeof value !== "string" || !TIME.test(value)) {
        fail(field, value, "a time string HH:MM:SS with optional fractions");
      }

      // The servers read "12:30" back as "12:30:00", so store that form everywhere.
      return value.length === 5 ? `${value}:00` : value;
    case "json":
      return checkJson(field, value);
    case "uuid":
      if (typeof value !== "string" || !UUID.test(value)) {
        fail(field, value, "a UUID string such as 123e4567-e89b-12d3-a456-426614174000");
      }

      return value.toLowerCase();
    case "binary":
      if (!(value instanceof Uint8Array)) {
        fail(field, value, "a Uint8Array or Buffer");
      }

      return value;
    default:
      return value;
  }
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) {
    return false;
  }

  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);

  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

import { Model, ValidationError, field, manager, validateValue, type Field } from "../src/index.js";

class Sample extends Model.define("samples", {
  id: field.id(),
  count: field.integer(),
  big: field.bigInteger(),
  ratio: field.float(),
  amount: field.decimal({ precision: 5, scale: 2 }),
  name: field.string({ maxLength: 3 }),
  note: field.text({ nullable: true }),
  flag: field.boolean(),
  at: field.dateTime(),
  day: field.date(),
  clock: field.time(),
  data: field.json(),
  key: field.uuid(),
  blob: field.binary(),
  color: field.enum(["red", "green"]),
  size: field.integer({ choices: [1, 2, 3] }),
}) {
  static objects = manager(this);
}

const fields = Sample.$meta.fieldsByName;

function fieldNamed(name: string): Field {
  const found = fields.get(name);

  if (!found) {
    throw new Error(`no field ${name}`);
  }

  return found;
}

function rejection(name: string, value: unknown): ValidationError {
  try {
    validateValue(fieldNamed(name), value);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);

    return error as ValidationError;
  }

  throw new Error(`expected ${name} to reject ${String(value)}`);
}

describe("validateValue accepts", () => {
  test.each<[string, unknown, unknown]>([
    ["count", 2 ** 31 - 1, 2 ** 31 - 1],
    ["count", -(2 ** 31), -(2 ** 31)],
    ["big", 2n ** 63n - 1n, 2n ** 63n - 1n],
    ["big", 2n ** 53n + 1n, 2n ** 53n + 1n],
    ["big", 5, 5n],
    ["ratio", 0.1, 0.1],
    ["amount", "123.45", "123.45"],
    ["amount", "007.50", "7.5"],
    ["amount", "-0.00", "0"],
    ["amount", " 1 ", "1"],
    ["amount", 12.5, "12.5"],
    ["amount", ".5", "0.5"],
    ["name", "abc", "abc"],
    ["name", "😀😀😀", "😀😀😀"],
    ["note", null, null],
    ["flag", false, false],
    ["day", "2024-02-29", "2024-02-29"],
    ["day", new Date("2024-03-01T12:00:00Z"), "2024-03-01"],
    ["clock", "23:59:59.123", "23:59:59.123"],
    ["clock", "08:30", "08:30:00"],
    ["data", { a: [1, "x", null] }, { a: [1, "x", null] }],
    ["key", "123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"],
    ["color", "red", "red"],
    ["size", 2, 2],
    ["id", null, null],
  ])("%s %p", (name, value, expected) => {
    expect(validateValue(fieldNamed(name), value)).toEqual(expected);
  });

  test("binary and dates pass through", () => {
    const bytes = new Uint8Array([1, 2]);
    const at = new Date("2020-01-01T00:00:00.000Z");

    expect(validateValue(fieldNamed("blob"), bytes)).toBe(bytes);
    expect(validateValue(fieldNamed("at"), at)).toBe(at);
  });
});

describe("validateValue rejects", () => {
  test.each<[string, unknown, string]>([
    ["count", 2 ** 31, "a whole number between -2147483648 and 2147483647"],
    ["count", 1.5, "a whole number"],
    ["count", "1", "a whole number"],
    ["big", 2n ** 63n, "a bigint between -(2n ** 63n) and 2n ** 63n - 1n"],
    ["big", -(2n ** 63n) - 1n, "a bigint between"],
    ["big", 2 ** 53, "a bigint between"],
    ["ratio", NaN, "a finite number"],
    ["ratio", Infinity, "a finite number"],
    ["ratio", -Infinity, "a finite number"],
    ["amount", "1.234", "at most 2 digits after the point"],
    ["amount", "1234.5", "at most 3 digits before the point (precision 5, scale 2)"],
    ["amount", "1e3", 'a decimal string such as "12.50"'],
    ["amount", "abc", "a decimal string"],
    ["amount", ".", "a decimal string"],
    ["amount", NaN, "a decimal string"],
    ["name", "abcd", "at most 3 characters, got 4"],
    ["name", "😀😀😀😀", "at most 3 characters, got 4"],
    ["name", "a\u0000", "text without NUL characters"],
    ["name", "a\ud800", "well-formed Unicode text"],
    ["note", "\udc00", "well-formed Unicode text"],
    ["name", 5, "a string"],
    ["count", null, "a value (the field is not nullable"],
    ["name", undefined, "a value (the field is not nullable"],
    ["flag", 1, "true or false"],
    ["at", new Date("invalid"), "a valid Date between the years 1 and 9999"],
    ["at", new Date("+010000-01-01T00:00:00Z"), "a valid Date"],
    ["at", "2020-01-01", "a valid Date"],
    ["day", "2023-02-29", "a date string YYYY-MM-DD"],
    ["day", "2023-13-01", "a date string"],
    ["day", "20230101", "a date string"],
    ["clock", "24:00:00", "a time string HH:MM:SS"],
    ["clock", "12:60", "a time string"],
    ["data", { n: 10n }, "a JSON value"],
    ["data", { n: NaN }, "a JSON value (NaN is not representable in JSON)"],
    ["data", [Infinity], "a JSON value"],
    ["data", () => 1, "a JSON value (got something JSON.stringify drops)"],
    ["key", "not-a-uuid", "a UUID string"],
    ["blob", "AAEC", "a Uint8Array or Buffer"],
    ["color", "blue", "one of 'red', 'green'"],
    ["size", 4, "one of 1, 2, 3"],
  ])("%s %p", (name, value, expected) => {
    const error = rejection(name, value);

    expect(error.message).toContain(`for Sample.${name}: expected ${expected}`);
    expect(error.model).toBe("Sample");
    expect(error.field).toBe(name);
    expect(error.value).toBe(value);
  });
});

describe("field options", () => {
  test("decimal precision checked at definition", () => {
    expect(() => field.decimal({ precision: 0, scale: 0 })).toThrow(ValidationError);
    expect(() => field.decimal({ precision: 4, scale: 5 })).toThrow("invalid precision 4 and scale 5");
    expect(() => field.decimal({ precision: 66, scale: 0 })).toThrow(ValidationError);
  });

  test("two primary keys rejected", () => {
    expect(() => Model.define("two_keys", { a: field.id(), b: field.integer({ primaryKey: true }) })).toThrow(
      'fields "a" and "b" are both primary keys',
    );
  });

  test("unknown attribute in the constructor", () => {
    expect(() => new Sample({ nope: 1 } as never)).toThrow('new Sample(): unknown field "nope"');
  });
});

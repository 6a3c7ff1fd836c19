/**
 * Property-based tests with fast-check: hostile values, names, JSON key
 * paths, cursors and `sql` interpolations against the real servers.
 * CHAKRA_FUZZ_RUNS raises the number of runs per property.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import {
  CursorPaginator,
  Database,
  SqlFragment,
  ValidationError,
  ChakraError,
  sql,
  validateValue,
  type Field,
} from "@chakra-orm/core";
import { eachDialect } from "../../src/dialects";
import { MOODS, Sample } from "../../src/reliability-models";
import { captureQueries, fuzzRuns } from "../../src/reliability-helpers";

const RUNS = fuzzRuns();

/** Strings that break naive quoting, encoding or length handling. */
const hostileString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(
    "'; drop table rel_samples; --",
    '" or 1=1 --',
    "`) or 1=1 #",
    "\\",
    "\\'",
    "%_\\",
    "a\u0000b",
    "\ud800",
    "x\udfffy",
    "😀\u200d👩‍👩‍👧",
    "$1 ? :name @p1",
    "",
    " ",
  ),
  fc.string({ minLength: 40, maxLength: 41 }),
  fc.constant("y".repeat(200_000)),
);

const outOfRangeDate = fc.oneof(
  fc.constant(new Date(Number.NaN)),
  fc.constant(new Date(-62_198_755_200_000)),
  fc.constant(new Date(253_402_300_800_000)),
  fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z") }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE, 0.1),
  fc.integer(),
  fc.double(),
);

const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>({ nul: "a\u0000b" }, { lone: "\ud800" }, { "a\u0000": 1 }, [Number.NaN], { n: Infinity }, undefined, () => 1, 10n),
);

/** Values per field: valid ones mixed with ones the field must reject. */
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  label: fc.oneof(hostileString, hostileNumber),
  body: hostileString,
  count: fc.oneof(hostileNumber, fc.bigInt(), hostileString),
  big: fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), hostileNumber),
  ratio: fc.oneof(hostileNumber, hostileString),
  price: fc.oneof(
    fc.stringMatching(/^-?\d{0,10}(\.\d{0,6})?$/),
    hostileNumber,
    fc.constantFrom("1e3", "0x10", " 12.5 ", "--1", "NaN", "."),
  ),
  flag: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, "true", null)),
  seenAt: fc.oneof(outOfRangeDate, hostileString),
  day: fc.oneof(
    fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date("9999-12-31T00:00:00.000Z") }).map((date) => date.toISOString().slice(0, 10)),
    fc.constantFrom("2023-02-29", "2024-02-29", "0000-01-01", "9999-12-31", "2024-13-01", "2024-1-1", "10000-01-01"),
    outOfRangeDate,
  ),
  clock: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([h, m, s]) =>
      [h, m, s].map((part) => String(part).padStart(2, "0")).join(":"),
    ),
    fc.constantFrom("24:00:00", "12:60:00", "1:2:3", "12:00:00.123456", "12:00"),
  ),
  data: anyJson,
  token: fc.oneof(fc.uuid(), hostileString, fc.uuid().map((uuid) => uuid.toUpperCase())),
  blob: fc.oneof(fc.uint8Array({ maxLength: 300 }), hostileString),
  mood: fc.oneof(fc.constantFrom(...MOODS), hostileString),
};

/** Brings a value read back into the canonical form that validateValue returns. */
function normalizeRead(field: Field, item: unknown): unknown {
  if (item === null) {
    return null;
  }

  switch (field.kind) {
    case "decimal":
      return canonicalDecimal(String(item));
    case "time":
      return String(item).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
    case "binary":
      return Buffer.from(item as Uint8Array);
    case "dateTime":
      return (item as Date).getTime();
    case "float":
    case "integer":
      // -0 is stored as 0 by every server.
      return Object.is(item, -0) ? 0 : item;
    default:
      return item;
  }
}

function canonicalDecimal(text: string): string {
  const [whole = "0", fraction = ""] = text.split(".");
  const trimmed = fraction.replace(/0+$/, "");
  const sign = whole.startsWith("-") && /[1-9]/.test(whole + trimmed) ? "-" : "";
  const digits = whole.replace(/^[-+]/, "").replace(/^0+(?=\d)/, "") || "0";

  return trimmed ? `${sign}${digits}.${trimmed}` : `${sign}${digits}`;
}

function normalizeWritten(field: Field, canonical: unknown): unknown {
  if (canonical === null) {
    return null;
  }

  if (field.kind === "decimal") {
    return canonicalDecimal(String(canonical));
  }

  if (field.kind === "time") {
    const text = String(canonical);

    return (text.length === 5 ? `${text}:00` : text).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }

  return normalizeRead(field, canonical);
}

function describe(item: unknown): string {
  try {
    return (JSON.stringify(item, (_key, entry: unknown) => (typeof entry === "bigint" ? `${entry}n` : entry)) ?? String(item)).slice(0, 200);
  } catch {
    return String(item).slice(0, 200);
  }
}

function jsonEqual(left: unknown, right: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(left)), JSON.parse(JSON.stringify(right)));
}

/** A marker that must never reach SQL text when it arrives inside a name. */
const MARKER = "zqx";
const nameNoise = fc.stringMatching(/^[a-z_'"`;() -]{0,8}$/).map((noise) => `${MARKER}${noise}`);
const FIELD_NAMES = Object.keys(VALUES);
const LOOKUPS = ["exact", "iexact", "contains", "icontains", "in", "gt", "isnull", "range", "year", "regex", "nope"];

eachDialect("reliability fuzz", ({ dialect, db }) => {
  beforeEach(async () => {
    await Sample.objects.delete();
  });

  test("field values round-trip or fail validation", async () => {
    const fields = Sample.$meta.fields.filter((item) => item.name in VALUES);

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.context(), async (target, context) => {
        const [item] = fc.sample(VALUES[target.name]!, { numRuns: 1, seed: Math.floor(Math.random() * 2 ** 31) });
        let canonical: unknown;
        let invalid: unknown;

        try {
          canonical = validateValue(target, item);
        } catch (error) {
          invalid = error;
        }

        context.log(`${target.name} <- ${describe(item)}`);
        const outcome = await captureQueries(db(), () => Sample.objects.create({ [target.name]: item } as never));

        if (invalid !== undefined) {
          expect(outcome.error).toBeInstanceOf(ValidationError);
          expect(outcome.events).toHaveLength(0);

          return;
        }

        expect(outcome.error).toBeUndefined();
        const stored = await Sample.objects.filter({ id: outcome.result!.id }).get();
        const read = (stored as unknown as Record<string, unknown>)[target.name];

        if (target.kind === "json") {
          expect(jsonEqual(read, canonical)).toBe(true);
        } else {
          expect(normalizeRead(target, read)).toEqual(normalizeWritten(target, canonical));
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("filter values are bound, never spliced", async () => {
    await Sample.objects.create({ label: "seed", body: "seed" });

    await fc.assert(
      fc.asyncProperty(fc.constantFrom("label", "body"), fc.constantFrom("exact", "icontains", "startswith", "iexact"), hostileString, fc.context(), async (name, lookup, item, context) => {
        const query = Sample.objects.filter({ [`${name}__${lookup}`]: item } as never);
        const outcome = await captureQueries(db(), () => query.count());

        // NOTE: SQLite rejects LIKE patterns over 50,000 bytes
        // (SQLITE_MAX_LIKE_PATTERN_LENGTH) on the server, not in validation.
        const likeTooLong = dialect.name === "sqlite" && lookup !== "exact" && Buffer.byteLength(item) > 50_000;

        if (outcome.error !== undefined && !likeTooLong) {
          context.log(String(outcome.error));
          expect(outcome.error).toBeInstanceOf(ValidationError);
          expect(outcome.events).toHaveLength(0);

          return;
        }

        if (likeTooLong) {
          return;
        }

        expect([0, 1]).toContain(outcome.result);

        for (const event of outcome.events) {
          if (item.length >= 3) {
            expect(event.sql.includes(item)).toBe(false);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("runtime filter keys are used or rejected", async () => {
    const key = fc.oneof(
      fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.constantFrom(...LOOKUPS)).map(([name, lookup]) => `${name}__${lookup}`),
      fc.tuple(fc.constantFrom(...FIELD_NAMES), nameNoise).map(([name, noise]) => `${name}__${noise}`),
      nameNoise,
      fc.tuple(nameNoise, fc.constantFrom(...LOOKUPS)).map(([noise, lookup]) => `${noise}__${lookup}`),
    );

    await fc.assert(
      fc.asyncProperty(key, fc.oneof(fc.constant("a"), fc.constant(1), fc.constant(true), fc.constant(["a"])), async (name, item) => {
        const outcome = await captureQueries(db(), () => Sample.objects.filter({ [name]: item } as never).count());

        for (const event of outcome.events) {
          expect(event.sql.includes(MARKER)).toBe(false);
        }

        if (outcome.error === undefined) {
          return;
        }

        if (outcome.events.length === 0) {
          expect(ChakraError.is(outcome.error)).toBe(true);
        }

        // A key that reaches the server must be a known field and lookup,
        // or a JSON key path whose keys travel as parameters.
        const field = name.split("__")[0]!;
        expect(FIELD_NAMES.includes(field) || outcome.events.length === 0).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test("unknown orderBy and values names are rejected", async () => {
    await Sample.objects.create({ label: "a" });
    const name = fc.oneof(nameNoise, fc.constantFrom(...FIELD_NAMES), fc.constantFrom(...FIELD_NAMES).map((item) => `-${item}`), nameNoise.map((item) => `-${item}`));

    await fc.assert(
      fc.asyncProperty(name, fc.boolean(), async (path, ordering) => {
        const bare = path.replace(/^-/, "");
        const outcome = await captureQueries(db(), async () =>
          ordering ? Sample.objects.orderBy(path as never).all() : Sample.objects.values(bare as never).all(),
        );

        if (FIELD_NAMES.includes(bare)) {
          expect(outcome.error).toBeUndefined();
        } else {
          expect(outcome.error).toBeInstanceOf(ValidationError);
          expect(outcome.events).toHaveLength(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("JSON key paths travel as parameters", async () => {
    const jsonKey = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
      fc.constantFrom("a.b", "a b", "'", '"', "`", "$", "[0]", "*", "\\", "0", "a'); drop table rel_samples; --"),
      // NOTE: an all-digit key is an array index on SQLite and MySQL but
      // matches an object key too on PostgreSQL, so it is left out here.
    ).filter((key) => !key.includes("__") && !key.includes("\u0000") && key.trim() !== "" && !/^\d+$/.test(key));

    await fc.assert(
      fc.asyncProperty(jsonKey, fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), async (key, item) => {
        await Sample.objects.delete();
        await Sample.objects.create({ data: { [key]: item } });
        await Sample.objects.create({ data: { other: item } });
        const outcome = await captureQueries(db(), () => Sample.objects.filter({ [`data__${key}`]: item } as never).count());

        if (outcome.error instanceof ValidationError) {
          expect(outcome.events).toHaveLength(0);

          return;
        }

        expect(outcome.error).toBeUndefined();

        if (key.length >= 3 && !/^[a-z]+$/.test(key)) {
          expect(outcome.events.every((event) => !event.sql.includes(key))).toBe(true);
        }

        expect(outcome.result).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  test("tampered cursors are rejected before SQL", async () => {
    await Sample.objects.bulkCreate(Array.from({ length: 7 }, (_, index) => ({ label: `row ${index}` })));
    const paginator = new CursorPaginator(Sample.objects.filter({}), { pageSize: 3, ordering: ["-id"] });
    const first = await paginator.page();
    const valid = first.nextCursor!;
    const cursor = fc.oneof(
      hostileString,
      fc.base64String({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 2 }).map((item) => Buffer.from(JSON.stringify(item)).toString("base64url")),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.char()).map(([at, character]) => `${valid.slice(0, at)}${character}${valid.slice(at + 1)}`),
      fc.constant("A".repeat(10_000)),
    );

    await fc.assert(
      fc.asyncProperty(cursor, fc.boolean(), async (token, forward) => {
        const outcome = await captureQueries(db(), () => paginator.page(forward ? { after: token } : { before: token }));

        if (outcome.error !== undefined) {
          expect(outcome.error).toBeInstanceOf(ValidationError);
          expect(outcome.events).toHaveLength(0);

          return;
        }

        expect(outcome.result!.items.length).toBeLessThanOrEqual(3);
      }),
      { numRuns: RUNS },
    );
  });

  test("sql tag binds every interpolation", async () => {
    const text = fc.string({ unit: "grapheme", maxLength: 40 }).filter((item) => !item.includes("\u0000"));
    const compiled = sql`select ${"x"} as v`.compile(db().dialect.compiler).sql;

    await fc.assert(
      fc.asyncProperty(fc.oneof(text, fc.constantFrom("'; select 1; --", "\\'", "$1", "?")), async (item) => {
        const fragment = sql`select ${item} as v`;
        expect(fragment).toBeInstanceOf(SqlFragment);
        expect(fragment.compile(db().dialect.compiler).sql).toBe(compiled);
        const outcome = await captureQueries(db(), () => db().raw<{ v: unknown }>(fragment));

        expect(outcome.error).toBeUndefined();
        expect(outcome.events.map((event) => event.sql)).toEqual([compiled]);
        expect(outcome.result).toHaveLength(1);
        const read = outcome.result![0]!.v;
        expect(Buffer.isBuffer(read) ? read.toString("utf8") : read).toBe(item);
      }),
      { numRuns: RUNS },
    );
  });

  test("sql.identifier quotes hostile names", async () => {
    const name = fc.oneof(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }), fc.constantFrom('a"b', "a`b", "a'b", "x; drop table rel_samples", "\\"));

    await fc.assert(
      fc.asyncProperty(name, async (identifier) => {
        const outcome = await captureQueries(db(), () => db().raw(sql`select 7 as ${sql.identifier(identifier)}`));

        if (outcome.error !== undefined) {
          expect(ChakraError.is(outcome.error)).toBe(true);

          return;
        }

        const rows = outcome.result as Record<string, unknown>[];
        expect(rows).toHaveLength(1);
        expect(Object.values(rows[0]!).map(Number)).toEqual([7]);
      }),
      { numRuns: RUNS },
    );

    expect(await Sample.objects.count()).toBeGreaterThanOrEqual(0);
  });

  const onPostgres = dialect.name === "postgres" ? test : test.skip;

  onPostgres("server receives the compiled statement", async () => {
    // pg_stat_activity keeps the last statement of an idle session, so a
    // second connection reads what the first one really sent.
    const observer = new Database({ dialect: db().dialect, name: "fuzz-observer" });

    await fc.assert(
      fc.asyncProperty(hostileString.filter((item) => item.length < 500 && !item.includes("\u0000") && (item as string & { isWellFormed(): boolean }).isWellFormed()), async (item) => {
        const query = Sample.objects.filter({ label__icontains: item, body__startswith: item }).orderBy("-id").limit(2);
        const expected = query.toSQL();

        await db().transaction(async () => {
          const [session] = await db().sql<{ pid: number }>`select pg_backend_pid() as pid`;
          const pid = session!.pid;
          const outcome = await captureQueries(db(), () => query.all());
          const error = outcome.error as Error | undefined;

          expect(error === undefined || error instanceof ValidationError).toBe(true);

          if (error !== undefined) {
            return;
          }

          expect(outcome.events.map((event) => event.sql)).toEqual([expected.sql]);
          const seen = await observer.sql<{ query: string }>`select query from pg_stat_activity where pid = ${pid}`;
          expect(seen[0]?.query).toBe(expected.sql);
        });
      }),
      { numRuns: RUNS },
    );
  });
});

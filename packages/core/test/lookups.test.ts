import { NotSupportedError, ValidationError } from "../src/index.js";
import { Post, User } from "./support/models.js";
import { SELECT_POSTS, SELECT_USERS } from "./support/sql.js";
import { createTestDatabase } from "./support/test-dialect.js";

const { db } = createTestDatabase();

/** Posts without the default ordering, so each case shows only its WHERE. */
const posts = () => Post.objects.using(db).orderBy();
const users = () => User.objects.using(db);

describe("lookups", () => {
  const cases: [string, () => { toSQL(): { sql: string; params: unknown[] } }, string, unknown[]][] = [
    ["exact", () => users().filter({ username: "ann" }), `"users"."username" = ?`, ["ann"]],
    ["explicit exact", () => users().filter({ username__exact: "ann" }), `"users"."username" = ?`, ["ann"]],
    ["iexact", () => users().filter({ username__iexact: "Ann" }), `lower("users"."username") = lower(?)`, ["Ann"]],
    [
      "contains",
      () => users().filter({ username__contains: "a%b" }),
      `"users"."username" like ? escape '!'`,
      ["%a!%b%"],
    ],
    [
      "icontains",
      () => users().filter({ username__icontains: "a_b" }),
      `lower("users"."username") like lower(?) escape '!'`,
      ["%a!_b%"],
    ],
    [
      "startswith",
      () => users().filter({ username__startswith: "a!" }),
      `"users"."username" like ? escape '!'`,
      ["a!!%"],
    ],
    [
      "istartswith",
      () => users().filter({ username__istartswith: "50%" }),
      `lower("users"."username") like lower(?) escape '!'`,
      ["50!%%"],
    ],
    [
      "endswith",
      () => users().filter({ username__endswith: "_x" }),
      `"users"."username" like ? escape '!'`,
      ["%!_x"],
    ],
    [
      "iendswith",
      () => users().filter({ username__iendswith: "%!_" }),
      `lower("users"."username") like lower(?) escape '!'`,
      ["%!%!!!_"],
    ],
    ["in", () => posts().filter({ id__in: [1, 2, 3] }), `"posts"."id" in (?, ?, ?)`, [1, 2, 3]],
    ["empty in", () => posts().filter({ id__in: [] }), "1 = 0", []],
    ["gt", () => posts().filter({ views__gt: 1 }), `"posts"."views" > ?`, [1]],
    ["gte", () => posts().filter({ views__gte: 2 }), `"posts"."views" >= ?`, [2]],
    ["lt", () => posts().filter({ views__lt: 3 }), `"posts"."views" < ?`, [3]],
    ["lte", () => posts().filter({ views__lte: 4 }), `"posts"."views" <= ?`, [4]],
    ["range", () => posts().filter({ views__range: [1, 5] }), `"posts"."views" between ? and ?`, [1, 5]],
    ["isnull true", () => posts().filter({ publishedAt__isnull: true }), `"posts"."published_at" is null`, []],
    [
      "isnull false",
      () => posts().filter({ publishedAt__isnull: false }),
      `"posts"."published_at" is not null`,
      [],
    ],
    ["null value", () => posts().filter({ publishedAt: null }), `"posts"."published_at" is null`, []],
    ["null foreign key", () => posts().filter({ editor: null }), `"posts"."editor_id" is null`, []],
    ["regex", () => posts().filter({ title__regex: "^a+" }), `"posts"."title" ~ ?`, ["^a+"]],
    ["iregex", () => posts().filter({ title__iregex: "^a+" }), `"posts"."title" ~* ?`, ["^a+"]],
    [
      "year",
      () => posts().filter({ publishedAt__year: 2020 }),
      `extract(year from "posts"."published_at") = ?`,
      [2020],
    ],
    [
      "month",
      () => posts().filter({ publishedAt__month: 2 }),
      `extract(month from "posts"."published_at") = ?`,
      [2],
    ],
    ["day", () => posts().filter({ publishedAt__day: 29 }), `extract(day from "posts"."published_at") = ?`, [29]],
    [
      "date value",
      () => posts().filter({ publishedAt__gte: new Date("2020-01-02T03:04:05.006Z") }),
      `"posts"."published_at" >= ?`,
      ["2020-01-02T03:04:05.006Z"],
    ],
  ];

  test.each(cases)("%s", (_name, build, where, params) => {
    const compiled = build().toSQL();
    const from = compiled.sql.startsWith(SELECT_USERS) ? SELECT_USERS : SELECT_POSTS;

    expect(compiled.sql).toBe(`${from} where ${where}`);
    expect(compiled.params).toEqual(params);
  });

  test("several keys joined with and", () => {
    const compiled = posts().filter({ views__gt: 1, title__startswith: "a" }).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where ("posts"."views" > ? and "posts"."title" like ? escape '!')`);
    expect(compiled.params).toEqual([1, "a%"]);
  });

  test("model instance as foreign key value", () => {
    const author = new User({ id: 7, username: "ann", email: "a@example.com" });
    const compiled = posts().filter({ author }).toSQL();

    expect(compiled.sql).toBe(`${SELECT_POSTS} where "posts"."author_id" = ?`);
    expect(compiled.params).toEqual([7]);
  });

  test("foreign key id forms need no join", () => {
    const compiled = posts().filter({ authorId: 5, author__id: 6, author__in: [7] }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} where ("posts"."author_id" = ? and "posts"."author_id" = ? and "posts"."author_id" in (?))`,
    );
    expect(compiled.params).toEqual([5, 6, 7]);
  });

  test("JSON key path not supported", () => {
    const query = posts().filter({ metadata__color: "red" });

    expect(() => query.toSQL()).toThrow(NotSupportedError);
    expect(() => query.toSQL()).toThrow("JSON key path lookups are not supported on test (path color).");
  });

  test("JSON key path with lookup", () => {
    const query = posts().filter({ metadata__color__icontains: "re" });

    expect(() => query.toSQL()).toThrow(NotSupportedError);
  });

  test("JSON column isnull", () => {
    expect(posts().filter({ metadata__isnull: true }).toSQL().sql).toBe(
      `${SELECT_POSTS} where "posts"."metadata" is null`,
    );
  });
});

describe("lookup errors", () => {
  function validationError(build: () => unknown): ValidationError {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);

      return error as ValidationError;
    }

    throw new Error("expected a ValidationError, but nothing was thrown");
  }

  test("unknown lookup lists valid ones", () => {
    const error = validationError(() => users().filter({ username__icontain: "a" } as never).toSQL());

    expect(error.message).toContain('unknown lookup "icontain" in "username__icontain"');
    expect(error.message).toContain(
      "Valid lookups are exact, in, isnull, gt, gte, lt, lte, range, iexact, contains, icontains, startswith, istartswith, endswith, iendswith, regex, iregex.",
    );
    expect(error.model).toBe("User");
    expect(error.field).toBe("username");
    expect(error.value).toBe("username__icontain");
  });

  test("date part on a string field", () => {
    const error = validationError(() => users().filter({ username__year: 2020 } as never).toSQL());

    expect(error.message).toContain('the lookup "year" in "username__year" does not apply to User.username (string)');
  });

  test("text lookup on an integer field", () => {
    const error = validationError(() => posts().filter({ views__contains: "1" } as never).toSQL());

    expect(error.message).toContain('the lookup "contains" in "views__contains" does not apply to Post.views (integer)');
    expect(error.message).toContain("Valid lookups are exact, in, isnull, gt, gte, lt, lte, range.");
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["in with a number", { id__in: 5 }, "expected an array"],
    ["range with one value", { views__range: [1] }, "expected a pair [low, high]"],
    ["isnull with a string", { publishedAt__isnull: "yes" }, "expected true or false"],
    ["year with a string", { publishedAt__year: "2020" }, "expected a whole number"],
    ["contains with a number", { title__contains: 5 }, "expected a string"],
    ["undefined value", { title: undefined }, 'the value of "title" is undefined'],
  ])("%s", (_name, conditions, message) => {
    const error = validationError(() => posts().filter(conditions as never).toSQL());

    expect(error.message).toContain(message);
    expect(error.model).toBe("Post");
  });
});

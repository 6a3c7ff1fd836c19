import { Q, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Post, clearTables, insertBlogFixtures } from "../src/models";

async function titles(query: { values(...paths: "title"[]): PromiseLike<{ title: string }[]> }): Promise<string[]> {
  return (await query.values("title")).map((row) => row.title).sort();
}

eachDialect("lookups", ({ db }) => {
  beforeEach(async () => {
    await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("exact, null and iexact", async () => {
    expect(await titles(Post.objects.filter({ title: "Draft notes" }))).toEqual(["Draft notes"]);
    expect(await titles(Post.objects.filter({ title__iexact: "draft NOTES" }))).toEqual(["Draft notes"]);
    expect(await Post.objects.filter({ rating: null }).count()).toBe(4);
    expect(await Post.objects.filter({ rating__isnull: false }).count()).toBe(1);
  });

  test("contains is case-sensitive", async () => {
    expect(await titles(Post.objects.filter({ title__contains: "ORM" }))).toEqual(["Hello ORM"]);
    expect(await Post.objects.filter({ title__contains: "orm" }).count()).toBe(0);
  });

  test("icontains folds non-ASCII case", async () => {
    expect(await titles(Post.objects.filter({ title__icontains: "école" }))).toEqual(["ÉCOLE straße"]);
    expect(await titles(Post.objects.filter({ title__icontains: "STRASSE" }))).toEqual([]);
    expect(await titles(Post.objects.filter({ title__istartswith: "éc" }))).toEqual(["ÉCOLE straße"]);
    expect(await titles(Post.objects.filter({ title__iendswith: "STRAßE" }))).toEqual(["ÉCOLE straße"]);
  });

  test("wildcards in values match literally", async () => {
    expect(await titles(Post.objects.filter({ title__contains: "50%" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await Post.objects.filter({ title__contains: "5_%" }).count()).toBe(0);
    expect(await titles(Post.objects.filter({ title__icontains: "sql_" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await Post.objects.filter({ title__icontains: "sql%" }).count()).toBe(0);
    expect(await Post.objects.filter({ title__contains: "!" }).count()).toBe(0);
    expect(await titles(Post.objects.filter({ title__startswith: "50%" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await titles(Post.objects.filter({ title__endswith: "_tricks" }))).toEqual(["50% off: SQL_tricks"]);
  });

  test("comparisons, in and range", async () => {
    expect(await Post.objects.filter({ views__gt: 30 }).count()).toBe(2);
    expect(await Post.objects.filter({ views__gte: 30 }).count()).toBe(3);
    expect(await Post.objects.filter({ views__lt: 7 }).count()).toBe(1);
    expect(await Post.objects.filter({ views__lte: 7 }).count()).toBe(2);
    expect(await Post.objects.filter({ views__in: [0, 7, 999] }).count()).toBe(2);
    expect(await Post.objects.filter({ views__in: [] }).count()).toBe(0);
    expect(await Post.objects.exclude({ views__in: [] }).count()).toBe(5);
    expect(await Post.objects.filter({ views__range: [7, 50] }).count()).toBe(3);
  });

  test("date parts and date comparisons in UTC", async () => {
    expect(await titles(Post.objects.filter({ publishedAt__year: 2024 }))).toEqual(["Hello ORM", "Why joins duplicate rows"]);
    expect(await titles(Post.objects.filter({ publishedAt__year: 2023, publishedAt__month: 12, publishedAt__day: 31 }))).toEqual(["50% off: SQL_tricks"]);
    expect(await Post.objects.filter({ publishedAt__gte: new Date("2024-01-01T00:00:00.000Z") }).count()).toBe(2);
    expect(await Post.objects.filter({ publishedAt__lt: new Date("2024-01-01T00:00:00.000Z") }).count()).toBe(1);
  });

  test("regex and iregex", async () => {
    expect(await titles(Post.objects.filter({ title__regex: "^[0-9]+%" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await Post.objects.filter({ title__regex: "^hello" }).count()).toBe(0);
    expect(await titles(Post.objects.filter({ title__iregex: "^hello" }))).toEqual(["Hello ORM"]);
  });

  test("JSON key paths", async () => {
    expect(await titles(Post.objects.filter({ meta__lang: "de" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await titles(Post.objects.filter({ meta__stars__gte: 4 }))).toEqual(["Hello ORM"]);
    expect(await titles(Post.objects.filter({ meta__nested__deep: "x" }))).toEqual(["50% off: SQL_tricks"]);
    expect(await Post.objects.filter({ meta__nested__deep: "y" }).count()).toBe(0);
  });

  test("exclude on a JSON key keeps rows without it", async () => {
    expect(await titles(Post.objects.exclude({ meta__lang: "en" }))).toEqual(["50% off: SQL_tricks", "Draft notes", "Why joins duplicate rows", "ÉCOLE straße"]);
    expect(await Post.objects.exclude({ meta__stars__gte: 4 }).count()).toBe(4);
  });

  test("filter values must match the field type", async () => {
    await expect(Post.objects.filter({ title: 0 } as never).delete()).rejects.toBeInstanceOf(ValidationError);
    await expect(Post.objects.filter({ id: "1abc" } as never).count()).rejects.toBeInstanceOf(ValidationError);
    await expect(Post.objects.filter({ published: "false" } as never).count()).rejects.toBeInstanceOf(ValidationError);
    await expect(Post.objects.filter({ publishedAt__gte: 0 } as never).count()).rejects.toBeInstanceOf(ValidationError);
    await expect(Post.objects.filter({ views__gte: null } as never).count()).rejects.toThrow(/isnull/);
    expect(await Post.objects.count()).toBe(5);
  });

  test("Q objects combine with and, or and not", async () => {
    const either = Q.or<typeof Post.prototype.$fields>({ views__gt: 60 }, { title__startswith: "Draft" });

    expect(await titles(Post.objects.filter(either))).toEqual(["Draft notes", "Hello ORM"]);
    expect(await titles(Post.objects.filter(Q.and({ published: true }, Q.not({ views__gt: 40 }))))).toEqual(["Why joins duplicate rows"]);
    expect(await Post.objects.exclude(Q.or({ title__icontains: "draft" }, { published: false })).count()).toBe(3);
  });

  test("exclude keeps rows where the column is NULL", async () => {
    expect(await Post.objects.exclude({ rating: 4.5 }).count()).toBe(4);
    expect(await Post.objects.exclude({ editor__username: "ana" }).count()).toBe(4);
  });

  test("unknown fields and lookups raise ValidationError", async () => {
    await expect(Post.objects.filter({ titel: "x" } as never).count()).rejects.toThrow(/unknown field "titel".*title/);
    await expect(Post.objects.filter({ title__icontain: "x" } as never).count()).rejects.toBeInstanceOf(ValidationError);
    await expect(Post.objects.filter({ views__in: 5 } as never).count()).rejects.toThrow(/expected an array/);
    await expect(Post.objects.orderBy("-nope" as never).all()).rejects.toThrow(/unknown field "nope"/);
    await expect(Post.objects.values("secret" as never)).rejects.toThrow(/unknown field "secret"/);
  });
});

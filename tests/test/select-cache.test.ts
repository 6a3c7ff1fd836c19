import { Q, ValidationError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Post, Sample, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

// Queries of one shape compile once and then only bind new values. These
// cases run each shape several times with values chosen to expose a
// parameter bound in the wrong place or kept from an earlier query.
eachDialect("select cache", ({ db }) => {
  let fixtures: BlogFixtures;

  beforeEach(async () => {
    fixtures = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("repeated shape compiles once", async () => {
    const compiler = db().dialect.compiler;
    const select = jest.spyOn(compiler, "select");

    try {
      for (const post of fixtures.posts) {
        expect((await Post.objects.get({ id: post.id })).title).toBe(post.title);
      }

      // The first lookup compiles and stores the shape, and the others reuse it.
      expect(select.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      select.mockRestore();
    }
  });

  test("pages after the first reuse one shape", async () => {
    const compile = jest.spyOn(db().dialect.compiler, "compile");
    const counts: number[] = [];

    try {
      for (const offset of [0, 1, 2, 3, 1, 2]) {
        const before = compile.mock.calls.length;
        const views = (await Post.objects.filter({ views__gte: 0 }).orderBy("id").limit(2).offset(offset).all()).map((post) => post.views);
        counts.push(compile.mock.calls.length - before);
        expect(views).toEqual([100, 50, 7, 0, 30].slice(offset, offset + 2));
      }
    } finally {
      compile.mockRestore();
    }

    // Page 1 (offset 0) has no OFFSET clause, so it is its own shape.
    expect(counts).toEqual([1, 1, 0, 0, 0, 0]);
  });

  test("wide in lists", async () => {
    const ids = fixtures.posts.map((post) => post.id);
    const wide = (extra: number) => [...ids, ...Array.from({ length: extra }, (_, index) => 1_000_000 + index)];

    for (const extra of [70, 100, 70]) {
      expect(await Post.objects.filter({ id__in: wide(extra) }).all().then((rows) => rows.length)).toBe(5);
    }
  });

  test("several conditions keep their order", async () => {
    const { ana, bo } = fixtures;
    const run = (authorId: number, min: number, max: number) =>
      Post.objects.filter({ authorId, views__gte: min, views__lt: max }).orderBy("views").flatValues("title");

    // flatValues() runs through values(), while all() takes the cached path.
    const titles = async (authorId: number, min: number, max: number) =>
      (await Post.objects.filter({ authorId, views__gte: min, views__lt: max }).orderBy("views").all()).map((post) => post.title);

    expect(await titles(ana.id, 10, 101)).toEqual(await run(ana.id, 10, 101));
    expect(await titles(ana.id, 10, 101)).toEqual(["50% off: SQL_tricks", "Hello ORM"]);
    expect(await titles(bo.id, 0, 31)).toEqual(["ÉCOLE straße", "Why joins duplicate rows"]);
    expect(await titles(bo.id, 8, 31)).toEqual(["Why joins duplicate rows"]);
    expect(await titles(ana.id, 60, 200)).toEqual(["Hello ORM"]);
  });

  test("equal values stay unambiguous", async () => {
    const { ana, bo } = fixtures;
    const found = async (author: number, editor: number) =>
      (await Post.objects.filter({ authorId: author, editorId: editor }).all()).map((post) => post.title);

    expect(await found(ana.id, ana.id)).toEqual([]);
    expect(await found(bo.id, ana.id)).toEqual(["ÉCOLE straße"]);
    expect(await found(ana.id, bo.id)).toEqual([]);
    expect(await found(bo.id, ana.id)).toEqual(["ÉCOLE straße"]);
  });

  test("limit and offset rebind", async () => {
    const page = async (limit: number, offset: number) =>
      (await Post.objects.orderBy("-views").limit(limit).offset(offset).all()).map((post) => post.views);

    expect(await page(2, 1)).toEqual([50, 30]);
    expect(await page(3, 2)).toEqual([30, 7, 0]);
    expect(await page(1, 0)).toEqual([100]);
    expect(await page(2, 3)).toEqual([7, 0]);
    expect((await Post.objects.orderBy("views").first())?.views).toBe(0);
    expect((await Post.objects.orderBy("views").last())?.views).toBe(100);
  });

  test("null, booleans and lists", async () => {
    const count = (conditions: Record<string, unknown>) => Post.objects.filter(conditions as never).all().then((rows) => rows.length);

    expect(await count({ rating: null })).toBe(4);
    expect(await count({ rating: 4.5 })).toBe(1);
    expect(await count({ rating: null })).toBe(4);
    expect(await count({ rating__isnull: true })).toBe(4);
    expect(await count({ rating__isnull: false })).toBe(1);
    expect(await count({ rating__isnull: true })).toBe(4);
    expect(await count({ published: true })).toBe(3);
    expect(await count({ published: false })).toBe(2);
    expect(await count({ views__in: [0, 7] })).toBe(2);
    expect(await count({ views__in: [100, 50, 30] })).toBe(3);
    expect(await count({ views__in: [] })).toBe(0);
    expect(await count({ views__in: [7, 0] })).toBe(2);
  });

  test("text lookup patterns rebind", async () => {
    const titles = async (conditions: Record<string, unknown>) =>
      (await Post.objects.filter(conditions as never).orderBy("title").all()).map((post) => post.title);

    expect(await titles({ title__contains: "ORM" })).toEqual(["Hello ORM"]);
    expect(await titles({ title__contains: "50%" })).toEqual(["50% off: SQL_tricks"]);
    expect(await titles({ title__contains: "5_%" })).toEqual([]);
    expect(await titles({ title__icontains: "école" })).toEqual(["ÉCOLE straße"]);
    expect(await titles({ title__icontains: "JOINS" })).toEqual(["Why joins duplicate rows"]);
    expect(await titles({ title__startswith: "Wh" })).toEqual(["Why joins duplicate rows"]);
    expect(await titles({ title__startswith: "Dr" })).toEqual(["Draft notes"]);
  });

  test("Q trees, exclusions, relation paths", async () => {
    const titles = async (query: { all(): Promise<Post[]> }) => (await query.all()).map((post) => post.title).sort();

    expect(await titles(Post.objects.filter(Q.or({ views: 100 }, { views: 0 })))).toEqual(["Draft notes", "Hello ORM"]);
    expect(await titles(Post.objects.filter(Q.or({ views: 7 }, { views: 30 })))).toEqual(["Why joins duplicate rows", "ÉCOLE straße"]);
    expect(await titles(Post.objects.exclude({ views__gte: 30 }))).toEqual(["Draft notes", "ÉCOLE straße"]);
    expect(await titles(Post.objects.exclude({ views__gte: 8 }))).toEqual(["Draft notes", "ÉCOLE straße"]);
    expect(await titles(Post.objects.exclude({ views__gte: 1 }))).toEqual(["Draft notes"]);
    expect(await titles(Post.objects.filter({ author__username: "ana" }))).toEqual(["50% off: SQL_tricks", "Hello ORM"]);
    expect(await titles(Post.objects.filter({ author__username: "bo" }))).toEqual(["Why joins duplicate rows", "ÉCOLE straße"]);
    expect(await titles(Post.objects.filter({ tags__name: "misc" }))).toEqual(["Why joins duplicate rows"]);
    expect(await titles(Post.objects.filter({ tags__name: "orm", views__lt: 50 }))).toEqual(["Why joins duplicate rows"]);
    expect(await titles(Post.objects.filter({ tags__name: "sql", views__lt: 60 }))).toEqual(["50% off: SQL_tricks", "Why joins duplicate rows"]);
  });

  test("selectRelated rows per query", async () => {
    const { posts } = fixtures;

    for (const post of posts) {
      const found = await Post.objects.selectRelated("author").get({ id: post.id });
      const expected = await Author.objects.get({ id: post.authorId });
      expect(found.author.username).toBe(expected.username);
    }
  });

  test("bad value on stored shape", async () => {
    await Post.objects.filter({ views__gt: 1 }).all();

    const bad = () => Post.objects.filter({ views__gt: "many" as never }).all();
    await expect(bad()).rejects.toThrow(ValidationError);
    await expect(bad()).rejects.toThrow(/views__gt/);
    expect((await Post.objects.filter({ views__gt: 60 }).all()).map((post) => post.title)).toEqual(["Hello ORM"]);
  });

  test("decimal, date, bigint comparisons", async () => {
    await Sample.objects.bulkCreate([
      { label: "a", amount: "1.50", at: new Date("2024-01-01T00:00:00.000Z"), big: 2n ** 60n },
      { label: "b", amount: "10.25", at: new Date("2024-06-01T00:00:00.000Z"), big: -5n },
      { label: "c", amount: "-3", at: new Date("2023-01-01T00:00:00.000Z"), big: 7n },
    ]);
    const labels = async (conditions: Record<string, unknown>) =>
      (await Sample.objects.filter(conditions as never).orderBy("label").all()).map((sample) => sample.label);

    expect(await labels({ amount__gt: "1.5" })).toEqual(["b"]);
    expect(await labels({ amount__gt: "-4" })).toEqual(["a", "b", "c"]);
    expect(await labels({ amount__lt: "2" })).toEqual(["a", "c"]);
    expect(await labels({ at__gte: new Date("2024-01-01T00:00:00.000Z") })).toEqual(["a", "b"]);
    expect(await labels({ at__gte: new Date("2024-03-01T00:00:00.000Z") })).toEqual(["b"]);
    expect(await labels({ big__gt: 0n })).toEqual(["a", "c"]);
    expect(await labels({ big__gt: 10n })).toEqual(["a"]);
    expect(await labels({ big: 2n ** 60n })).toEqual(["a"]);
  });
});

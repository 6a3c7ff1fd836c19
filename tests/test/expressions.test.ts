import {
  Avg,
  Case,
  Cast,
  Coalesce,
  Concat,
  Count,
  DenseRank,
  Exists,
  Extract,
  F,
  Lag,
  Length,
  Lower,
  Max,
  Min,
  NTile,
  Now,
  OuterRef,
  Rank,
  RowNumber,
  Subquery,
  Sum,
  Upper,
  Value,
  When,
  func,
} from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Comment, Post, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

eachDialect("expressions", ({ db }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("F compares two columns", async () => {
    await Post.objects.filter({ title: "Draft notes" }).update({ views: 3, rating: 3 });

    expect(await Post.objects.filter({ rating: F("views") }).flatValues("title")).toEqual(["Draft notes"]);
  });

  test("F arithmetic in update loses no increment", async () => {
    await Promise.all(Array.from({ length: 10 }, () => Post.objects.filter({ authorId: data.ana.id }).update({ views: F("views").add(1) })));

    expect(await Post.objects.filter({ authorId: data.ana.id }).orderBy("id").flatValues("views")).toEqual([110, 60]);
  });

  test("functions in annotations", async () => {
    const [post] = await Post.objects
      .filter({ title: "Hello ORM" })
      .annotate({
        lower: Lower("title"),
        upper: Upper("title"),
        length: Length("title"),
        label: Concat("title", Value(" #"), Cast("views", "text")),
        score: Coalesce("rating", Value(0)),
        year: Extract("year", "publishedAt"),
        doubled: F("views").mul(2),
        absolute: func<number>("abs", Value(-4)),
        now: Now(),
      })
      .all();

    expect(post!.lower).toBe("hello orm");
    expect(post!.upper).toBe("HELLO ORM");
    expect(post!.length).toBe(9);
    expect(post!.label).toBe("Hello ORM #100");
    expect(Number(post!.score)).toBe(0);
    expect(post!.year).toBe(2024);
    expect(post!.doubled).toBe(200);
    expect(Number(post!.absolute)).toBe(4);
    expect(post!.now).toBeInstanceOf(Date);
    expect(Math.abs(post!.now.getTime() - Date.now())).toBeLessThan(60_000);
  });

  test("Length counts characters, not bytes", async () => {
    const rows = await Post.objects.filter({ title: "ÉCOLE straße" }).annotate({ length: Length("title") }).values("length");

    expect(rows).toEqual([{ length: 12 }]);
  });

  test("orderBy takes expressions", async () => {
    const byViews = await Post.objects.orderBy(F("views").mul(-1).asc()).flatValues("views");
    const byLength = await Post.objects.orderBy(Length("title").desc(), "id").flatValues("title");

    expect(byViews).toEqual([100, 50, 30, 7, 0]);
    expect(byLength[0]).toBe("Why joins duplicate rows");
    expect((await Post.objects.orderBy(F("views").desc()).last())!.views).toBe(0);
    expect((await Post.objects.orderBy(F("views")).first())!.views).toBe(0);
  });

  test("Case and When", async () => {
    const rows = await Post.objects
      .annotate({
        size: Case([When({ views__gte: 100 }, "big"), When({ views__gte: 30 }, "medium")], "small"),
      })
      .orderBy("id")
      .flatValues("size");

    expect(rows).toEqual(["big", "medium", "small", "small", "medium"]);
  });

  test("aggregate returns typed totals", async () => {
    const totals = await Post.objects.filter({ published: true }).aggregate({
      posts: Count(),
      views: Sum("views"),
      average: Avg("views"),
      least: Min("views"),
      most: Max("views"),
      authors: Count("authorId", { distinct: true }),
      popular: Count("*", { filter: { views__gte: 50 } }),
      comments: Count("comments"),
    });

    expect(totals).toEqual({ posts: 3, views: 180, average: 60, least: 30, most: 100, authors: 2, popular: 2, comments: 4 });
    expect(await Post.objects.filter({ views__gt: 1000 }).aggregate({ views: Sum("views"), posts: Count() })).toEqual({ views: null, posts: 0 });
  });

  test("annotations over two multi-valued relations do not double-count", async () => {
    const posts = await Post.objects
      .annotate({ commentCount: Count("comments"), tagCount: Count("tags"), score: Sum("comments__score") })
      .orderBy("id")
      .all();

    expect(posts.map((post) => [post.commentCount, post.tagCount])).toEqual([[3, 2], [0, 1], [0, 0], [0, 0], [1, 3]]);
    expect(posts[0]!.score).toBe(8);
    expect(posts[1]!.score).toBeNull();
  });

  test("filter and order by an annotation", async () => {
    const titles = await Post.objects
      .annotate({ liked: Count("comments", { filter: { comments__score__gte: 1 } }) })
      .filter({ liked__gte: 1 })
      .orderBy("-liked")
      .flatValues("title");

    expect(titles).toEqual(["Hello ORM"]);
  });

  test("values().annotate() groups and filters with HAVING", async () => {
    const perAuthor = await Post.objects
      .values("author__username")
      .annotate({ posts: Count("id"), totalViews: Sum("views") })
      .filter({ posts__gte: 2 })
      .orderBy("-totalViews");

    expect(perAuthor).toEqual([
      { author__username: "ana", posts: 2, totalViews: 150 },
      { author__username: "bo", posts: 2, totalViews: 37 },
    ]);
  });

  test("grouped counts of related rows", async () => {
    const rows = await Author.objects.values("username").annotate({ received: Count("posts__comments") }).orderBy("username");

    expect(rows).toEqual([
      { username: "ana", received: 3 },
      { username: "bo", received: 1 },
      { username: "Çelik", received: 0 },
    ]);
  });

  test("Subquery with OuterRef", async () => {
    const best = Comment.objects.filter({ postId: OuterRef("id") }).orderBy("-score").values("text").limit(1);
    const posts = await Post.objects.annotate({ best: Subquery<string | null>(best) }).orderBy("id").flatValues("best");

    expect(posts).toEqual(["Again", null, null, null, "Indeed"]);
  });

  test("Exists in annotate and filter", async () => {
    const commented = Exists(Comment.objects.filter({ postId: OuterRef("id"), score__gte: 2 }));
    const rows = await Post.objects.annotate({ hot: commented }).orderBy("id").flatValues("hot");

    expect(rows).toEqual([true, false, false, false, false]);
    expect(await Post.objects.annotate({ hot: commented }).filter({ hot: true }).flatValues("title")).toEqual(["Hello ORM"]);
  });

  test("window functions", async () => {
    const rows = await Post.objects
      .annotate({
        number: RowNumber().over({ orderBy: ["id"] }),
        rank: Rank().over({ partitionBy: ["authorId"], orderBy: ["-views"] }),
        dense: DenseRank().over({ orderBy: ["published"] }),
        bucket: NTile(2).over({ orderBy: ["id"] }),
        previous: Lag<number>("views").over({ orderBy: ["id"] }),
        running: Sum("views").over({ orderBy: ["id"], frame: { type: "rows", start: null, end: 0 } }),
        authorTotal: Sum("views").over({ partitionBy: ["authorId"] }),
      })
      .orderBy("id")
      .values("views", "number", "rank", "dense", "bucket", "previous", "running", "authorTotal");

    expect(rows.map((row) => row.number)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((row) => row.rank)).toEqual([1, 2, 2, 1, 1]);
    expect(rows.map((row) => row.dense)).toEqual([2, 2, 1, 1, 2]);
    expect(rows.map((row) => row.bucket)).toEqual([1, 1, 1, 2, 2]);
    expect(rows.map((row) => row.previous)).toEqual([null, 100, 50, 7, 0]);
    expect(rows.map((row) => row.running)).toEqual([100, 150, 157, 157, 187]);
    expect(rows.map((row) => row.authorTotal)).toEqual([150, 150, 37, 0, 37]);
  });
});

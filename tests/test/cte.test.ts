import { Count, F, Value, cte } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Comment, Post, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

eachDialect("common table expressions", ({ db }) => {
  let data: BlogFixtures;
  let root: Comment;

  beforeEach(async () => {
    data = await insertBlogFixtures();
    const post = data.posts[2]!;
    root = await Comment.objects.create({ post, text: "root" });
    const a = await Comment.objects.create({ post, parent: root, text: "a" });
    const b = await Comment.objects.create({ post, parent: root, text: "b" });
    const a1 = await Comment.objects.create({ post, parent: a, text: "a1" });
    await Comment.objects.create({ post, parent: a1, text: "a1x" });
    await Comment.objects.create({ post, parent: b, text: "b1" });
    await Comment.objects.create({ post, text: "other thread" });
  });

  afterEach(() => clearTables(db()));

  function thread(rootId: number) {
    return cte("thread", Comment.objects.filter({ id: rootId }).annotate({ depth: Value(0) })).recursive((self) =>
      Comment.objects.filter({ parentId: self.col("id") }).annotate({ depth: self.col<number>("depth").add(1) }),
    );
  }

  test("recursive CTE walks a thread to any depth", async () => {
    const rows = await Comment.objects.fromCte(thread(root.id)).orderBy("depth" as never, "text").all();

    expect(rows.map((row) => [row.text, Number((row as unknown as { depth: number }).depth)])).toEqual([
      ["root", 0],
      ["a", 1],
      ["b", 1],
      ["a1", 2],
      ["b1", 2],
      ["a1x", 3],
    ]);
    expect(rows[3]).toBeInstanceOf(Comment);
  });

  test("recursive CTE as values and as a filter", async () => {
    const walk = thread(root.id);
    const deepest = await Comment.objects.fromCte(walk).filter({ depth__gte: 2 } as never).orderBy("text").values("text");

    expect(deepest).toEqual([{ text: "a1" }, { text: "a1x" }, { text: "b1" }]);
    expect(await Comment.objects.with(walk).filter({ id__in: walk.col("id") }).count()).toBe(6);
    expect(await Comment.objects.with(walk).exclude({ id__in: walk.col("id") }).filter({ postId: data.posts[2]!.id }).flatValues("text")).toEqual(["other thread"]);
  });

  test("plain CTE feeds a filter", async () => {
    const popular = cte("popular", Post.objects.filter({ views__gte: 50 }));
    const titles = await Post.objects.with(popular).filter({ id__in: popular.col("id") }).orderBy("id").flatValues("title");

    expect(titles).toEqual(["Hello ORM", "50% off: SQL_tricks"]);
  });

  test("queryset as an __in subquery", async () => {
    const byAna = Post.objects.filter({ authorId: data.ana.id });

    expect(await Comment.objects.filter({ postId__in: byAna }).count()).toBe(3);
    expect(await Comment.objects.filter({ postId__in: Post.objects.filter({ views__gt: 1000 }).values("id") }).count()).toBe(0);
    expect(
      await Post.objects
        .annotate({ replies: Count("comments") })
        .filter({ id__in: Comment.objects.filter({ score__gte: 5 }).values("postId") })
        .flatValues("replies"),
    ).toEqual([3]);
    expect(await Post.objects.filter({ views__gt: F("id") }).count()).toBeGreaterThan(0);
  });
});

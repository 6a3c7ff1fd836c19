import { type Database, RelationNotLoadedError } from "@chakra-orm/core";
import { eachDialect } from "../src/dialects";
import { Author, Comment, Membership, Post, Profile, Tag, Team, clearTables, insertBlogFixtures, type BlogFixtures } from "../src/models";

/** Counts the statements `fn` sends to `db`. */
async function countQueries(db: Database, fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const listener = () => {
    count += 1;
  };
  db.on("query", listener);

  try {
    await fn();
  } finally {
    db.off("query", listener);
  }

  return count;
}

eachDialect("relations", ({ db }) => {
  let data: BlogFixtures;

  beforeEach(async () => {
    data = await insertBlogFixtures();
  });

  afterEach(() => clearTables(db()));

  test("forward traversal two levels deep", async () => {
    await Comment.objects.filter({ text: "Nice" }).update({ authorId: data.cy.id });

    expect(await Comment.objects.filter({ post__author__username: "ana" }).count()).toBe(3);
    expect(await Comment.objects.filter({ post__author__username__istartswith: "AN", author__username: "Çelik" }).count()).toBe(2);
  });

  test("filters across multi-valued relations never duplicate rows", async () => {
    const viaTags = await Post.objects.filter({ tags__name__in: ["orm", "sql", "misc"] }).all();
    const viaComments = await Post.objects.filter({ comments__score__gte: 0 }).all();

    expect(viaTags.map((post) => post.title).sort()).toEqual(["50% off: SQL_tricks", "Hello ORM", "Why joins duplicate rows"]);
    expect(await Post.objects.filter({ tags__name__in: ["orm", "sql", "misc"] }).count()).toBe(3);
    expect(viaComments).toHaveLength(2);
    expect(await Author.objects.filter({ posts__tags__name: "misc" }).count()).toBe(1);
  });

  test("conditions in one filter share the related row", async () => {
    expect(await Post.objects.filter({ comments__author__username: "bo", comments__score: 5 }).count()).toBe(1);
    expect(await Post.objects.filter({ comments__author__username: "ana", comments__score: 5 }).count()).toBe(0);
    expect(await Post.objects.filter({ comments__isnull: true }).count()).toBe(3);
  });

  test("reverse many-to-many traversal", async () => {
    expect((await Tag.objects.filter({ posts__author__username: "bo" } as never).values("name")).map((row) => row.name)).toEqual(["misc", "orm", "sql"]);
  });

  test("selectRelated loads with joins", async () => {
    const queries = await countQueries(db(), async () => {
      const posts = await Post.objects.selectRelated("author", "editor").orderBy("id").all();

      expect(posts[0]!.author.handle).toBe("@ana");
      expect(posts[0]!.editor).toBeNull();
      expect(posts[2]!.editor!.username).toBe("ana");
    });

    expect(queries).toBe(1);
  });

  test("prefetchRelated uses one query per relation", async () => {
    let posts: Post[] = [];
    const queries = await countQueries(db(), async () => {
      posts = await Post.objects.prefetchRelated("tags", "comments", "author").orderBy("id").all();
    });

    expect(queries).toBe(4);
    expect(posts[0]!.tags.toArray().map((tag) => tag.name)).toEqual(["orm", "sql"]);
    expect(posts[0]!.comments.length).toBe(3);
    expect(posts[3]!.tags.toArray()).toEqual([]);
    expect(posts[4]!.author.username).toBe("bo");
  });

  test("load batches the relation across the result set", async () => {
    const posts = await Post.objects.orderBy("id").all();

    expect(() => posts[0]!.author).toThrow(RelationNotLoadedError);

    const queries = await countQueries(db(), async () => {
      for (const post of posts) {
        await post.load("author");
      }
    });

    expect(queries).toBe(1);
    expect(posts.map((post) => post.author.username)).toEqual(["ana", "ana", "bo", "Çelik", "bo"]);
  });

  test("raise mode refuses lazy loads", async () => {
    const [post] = await Post.objects.relationLoading("raise").orderBy("id").limit(1).all();

    await expect(post!.load("author")).rejects.toThrow(/relationLoading\("raise"\)/);
    await expect(post!.tags.all()).rejects.toBeInstanceOf(RelationNotLoadedError);
  });

  test("many-to-many add, remove, set and clear", async () => {
    const post = data.posts[3]!;
    await post.tags.add(data.orm, data.orm, data.misc);

    expect((await post.tags.query().values("name")).map((row) => row.name)).toEqual(["misc", "orm"]);

    await post.tags.remove(data.orm);

    expect(await post.tags.count()).toBe(1);

    await post.tags.set([data.sql.id, data.orm.id]);

    expect((await post.tags.all()).map((tag) => tag.name)).toEqual(["orm", "sql"]);

    await post.tags.clear();

    expect(await post.tags.count()).toBe(0);
  });

  test("reverse accessors", async () => {
    const ana = await Author.objects.get({ username: "ana" });

    expect((await ana.posts.all()).map((post) => post.title).sort()).toEqual(["50% off: SQL_tricks", "Hello ORM"]);
    expect(await ana.posts.filter({ views__gt: 60 }).count()).toBe(1);
  });

  test("one-to-one both ways", async () => {
    await Profile.objects.create({ author: data.ana, bio: "hi" });
    const profile = await Profile.objects.selectRelated("author").get({ author__username: "ana" });

    expect(profile.author.username).toBe("ana");
    expect(await Author.objects.filter({ profile__bio: "hi" } as never).count()).toBe(1);
    await expect(Profile.objects.create({ author: data.ana })).rejects.toThrow(/unique/i);
  });

  test("explicit through model", async () => {
    const team = await Team.objects.create({ name: "core" });
    await Membership.objects.create({ author: data.ana, team, role: "lead" });
    await team.members.add(data.bo);

    expect((await team.members.all()).map((author) => author.username).sort()).toEqual(["ana", "bo"]);
    expect(await Team.objects.filter({ members__username: "bo" }).count()).toBe(1);
    expect(await Membership.objects.filter({ role: "member" }).count()).toBe(1);
  });
});

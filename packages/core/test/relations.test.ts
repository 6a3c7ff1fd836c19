import { Comment, Post, Tag, User } from "./support/models.js";
import { COMMENT_COLUMNS, POST_COLUMNS, SELECT_COMMENTS, SELECT_POSTS, SELECT_USERS, USER_COLUMNS } from "./support/sql.js";
import { createTestDatabase } from "./support/test-dialect.js";

const { db } = createTestDatabase();
const posts = () => Post.objects.using(db).orderBy();

describe("forward relations", () => {
  test("foreign key traversal left joins", () => {
    const compiled = posts().filter({ author__username__istartswith: "an" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} left join "users" as "j1" on "j1"."id" = "posts"."author_id"` +
        ` where lower("j1"."username") like lower(?) escape '!'`,
    );
    expect(compiled.params).toEqual(["an%"]);
  });

  test("two levels deep", () => {
    const compiled = Comment.objects.filter({ post__author__username: "ann" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_COMMENTS} left join "posts" as "j1" on "j1"."id" = "comments"."post_id"` +
        ` left join "users" as "j2" on "j2"."id" = "j1"."author_id" where "j2"."username" = ?`,
    );
  });

  test("one join per path", () => {
    const compiled = posts().filter({ author__username: "a", author__email: "b" }).orderBy("author__username").toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} left join "users" as "j1" on "j1"."id" = "posts"."author_id"` +
        ` where ("j1"."username" = ? and "j1"."email" = ?) order by "j1"."username"`,
    );
  });

  test("two keys to one table get two joins", () => {
    const compiled = posts().filter({ author__username: "a", editor__username: "b" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} left join "users" as "j1" on "j1"."id" = "posts"."author_id"` +
        ` left join "users" as "j2" on "j2"."id" = "posts"."editor_id"` +
        ` where ("j1"."username" = ? and "j2"."username" = ?)`,
    );
  });

  test("exclude across a left join", () => {
    const compiled = posts().exclude({ editor__username: "x" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} left join "users" as "j1" on "j1"."id" = "posts"."editor_id"` +
        ` where not ("j1"."username" = ? and "j1"."username" is not null)`,
    );
  });
});

describe("multi-valued relations", () => {
  test("reverse foreign key becomes EXISTS", () => {
    const compiled = User.objects.filter({ posts__title__contains: "x" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where exists (select 1 from "posts" as "s1"` +
        ` where ("s1"."author_id" = "users"."id" and "s1"."title" like ? escape '!'))`,
    );
    expect(compiled.params).toEqual(["%x%"]);
  });

  test("two conditions share one EXISTS", () => {
    const compiled = User.objects.filter({ posts__title: "x", posts__views__gt: 3 }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where exists (select 1 from "posts" as "s1"` +
        ` where ("s1"."author_id" = "users"."id" and "s1"."title" = ? and "s1"."views" > ?))`,
    );
    expect(compiled.params).toEqual(["x", 3]);
  });

  test("two filter calls get two EXISTS", () => {
    const compiled = User.objects.filter({ posts__title: "x" }).filter({ posts__views: 1 }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where (exists (select 1 from "posts" as "s1" where ("s1"."author_id" = "users"."id" and "s1"."title" = ?))` +
        ` and exists (select 1 from "posts" as "s2" where ("s2"."author_id" = "users"."id" and "s2"."views" = ?)))`,
    );
  });

  test("reverse name from relatedName", () => {
    const compiled = User.objects.filter({ editedPosts__title: "x" } as never).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where exists (select 1 from "posts" as "s1" where ("s1"."editor_id" = "users"."id" and "s1"."title" = ?))`,
    );
  });

  test("many-to-many becomes EXISTS through the join table", () => {
    const compiled = posts().filter({ tags__name: "a", tags__slug: "b" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_POSTS} where exists (select 1 from "tags" as "s1"` +
        ` inner join "posts_tags" as "s2" on "s2"."tag_id" = "s1"."id"` +
        ` where ("s2"."post_id" = "posts"."id" and "s1"."name" = ? and "s1"."slug" = ?))`,
    );
    expect(compiled.params).toEqual(["a", "b"]);
  });

  test("reverse many-to-many", () => {
    const compiled = Tag.objects.filter({ posts__title: "a" }).toSQL();

    expect(compiled.sql).toBe(
      'select "tags"."id", "tags"."name", "tags"."slug" from "tags" where exists (select 1 from "posts" as "s1"' +
        ' inner join "posts_tags" as "s2" on "s2"."post_id" = "s1"."id"' +
        ' where ("s2"."tag_id" = "tags"."id" and "s1"."title" = ?))',
    );
  });

  test("relation isnull true becomes NOT EXISTS", () => {
    const compiled = User.objects.filter({ posts__isnull: true }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where not exists (select 1 from "posts" as "s1" where "s1"."author_id" = "users"."id")`,
    );
  });

  test("relation compared with a key", () => {
    const compiled = User.objects.filter({ posts: 4 }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where exists (select 1 from "posts" as "s1" where ("s1"."author_id" = "users"."id" and "s1"."id" = ?))`,
    );
    expect(compiled.params).toEqual([4]);
  });

  test("exclude across a reverse relation", () => {
    const compiled = User.objects.exclude({ posts__title: "a" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_USERS} where not exists (select 1 from "posts" as "s1" where ("s1"."author_id" = "users"."id" and "s1"."title" = ?))`,
    );
  });

  test("forward join then many-to-many", () => {
    const compiled = Comment.objects.filter({ post__tags__name: "x" }).toSQL();

    expect(compiled.sql).toBe(
      `${SELECT_COMMENTS} left join "posts" as "j1" on "j1"."id" = "comments"."post_id"` +
        ` where exists (select 1 from "tags" as "s2" inner join "posts_tags" as "s3" on "s3"."tag_id" = "s2"."id"` +
        ` where ("s3"."post_id" = "j1"."id" and "s2"."name" = ?))`,
    );
  });

  test("count across a reverse relation has no join", async () => {
    const { db: counting, queries } = createTestDatabase({ name: "counting" });
    await User.objects.using(counting).filter({ posts__views__gt: 1 }).count();

    expect(queries[0]!.sql).toBe(
      'select count(*) from "users" where exists (select 1 from "posts" as "s1"' +
        ' where ("s1"."author_id" = "users"."id" and "s1"."views" > ?))',
    );
  });
});

describe("selectRelated", () => {
  const userColumns = (alias: string) => USER_COLUMNS.replaceAll('"users".', `"${alias}".`);

  test("left joins for required and nullable keys alike", () => {
    const compiled = Post.objects.orderBy().selectRelated("author", "editor").toSQL();

    expect(compiled.sql).toBe(
      `select ${POST_COLUMNS}, ${userColumns("j1")}, ${userColumns("j2")} from "posts"` +
        ` left join "users" as "j1" on "j1"."id" = "posts"."author_id"` +
        ` left join "users" as "j2" on "j2"."id" = "posts"."editor_id"`,
    );
  });

  test("two levels with nullable join", () => {
    const compiled = Comment.objects.selectRelated("post__author", "author").toSQL();
    const postColumns = POST_COLUMNS.replaceAll('"posts".', '"j1".');

    expect(compiled.sql).toBe(
      `select ${COMMENT_COLUMNS}, ${postColumns}, ${userColumns("j2")}, ${userColumns("j3")} from "comments"` +
        ' left join "posts" as "j1" on "j1"."id" = "comments"."post_id"' +
        ' left join "users" as "j2" on "j2"."id" = "j1"."author_id"' +
        ' left join "users" as "j3" on "j3"."id" = "comments"."author_id"',
    );
  });

  test("rejects a multi-valued relation", () => {
    expect(() => User.objects.selectRelated("posts" as never).toSQL()).toThrow(
      'User.objects.toSQL(): selectRelated("posts"): "posts" is not a foreign key or one-to-one field of User.',
    );
  });

  test("hydrates the joined instance", async () => {
    const { db: hydrating, driver } = createTestDatabase({ name: "hydrating" });
    const joined = new Date("2020-01-01T00:00:00.000Z");
    driver.responder = () => ({
      rows: [
        [1, "Hello", "", 0, false, null, null, null, null, "draft", 7, null, 7, "ann", "a@example.com", null, joined, null, null, null, null, null],
      ],
      rowCount: 1,
    });
    const [post] = await Post.objects.using(hydrating).selectRelated("author", "editor").all();

    expect(post).toBeInstanceOf(Post);
    expect(post!.author).toBeInstanceOf(User);
    expect(post!.author.handle).toBe("@ann");
    expect(post!.editor).toBeNull();
  });
});

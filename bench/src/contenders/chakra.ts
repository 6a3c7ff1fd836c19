/** Chakra ORM from the workspace, with the same models an application would define. */
import { Count, Database, F, Model, Sum, field, manager } from "@chakra-orm/core";
import type { Dialect, ModelClass } from "@chakra-orm/core";
import type { AuthorTotals, Contender, Target } from "../types.js";

class User extends Model.define("users", {
  id: field.id(),
  username: field.string({ maxLength: 50, unique: true }),
  email: field.string({ maxLength: 200 }),
}) {
  static objects = manager(this);
}

class Tag extends Model.define("tags", {
  id: field.id(),
  name: field.string({ maxLength: 50, unique: true }),
}) {
  static objects = manager(this);
}

class Post extends Model.define("posts", {
  id: field.id(),
  title: field.string({ maxLength: 200 }),
  body: field.text(),
  views: field.integer({ default: 0 }),
  publishedAt: field.dateTime(),
  author: field.foreignKey(() => User),
  tags: field.manyToMany(() => Tag, { through: (): ModelClass<PostTag> => PostTag }),
}) {
  static objects = manager(this);
}

class PostTag extends Model.define("post_tags", {
  id: field.id(),
  post: field.foreignKey((): ModelClass<Post> => Post),
  tag: field.foreignKey(() => Tag),
}) {
  static objects = manager(this);
}

/** Runs `views = views + 1` for one author through F(). */
async function bumpViews(authorId: number): Promise<number> {
  return Post.objects.filter({ authorId }).update({ views: F("views").add(1) });
}

/**
 * Groups by author with values().annotate(). The sum is named totalViews
 * because core rejects an annotation that has the name of a field.
 */
async function topAuthors(limit: number): Promise<AuthorTotals[]> {
  const rows = await Post.objects
    .values("authorId")
    .annotate({ posts: Count("id"), totalViews: Sum("views") })
    .orderBy("-totalViews", "authorId")
    .limit(limit);

  return rows.map((row) => ({ authorId: row.authorId, posts: row.posts, views: row.totalViews ?? 0 }));
}

async function loadDialect(target: Target): Promise<Dialect> {
  switch (target.database) {
    case "sqlite":
      return (await import("@chakra-orm/sqlite")).sqlite({ filename: target.location });
    case "postgres":
      return (await import("@chakra-orm/postgres")).postgres(target.location);
    case "mysql":
      return (await import("@chakra-orm/mysql")).mysql(target.location);
  }
}

export async function openChakra(target: Target): Promise<Contender> {
  const db = new Database({ dialect: await loadDialect(target), name: `bench-${target.database}` }).setDefault();

  return {
    name: "chakra",
    async getPost(id) {
      return Post.objects.get({ id });
    },
    async listPopular(minViews, limit) {
      return Post.objects.filter({ views__gt: minViews }).orderBy("-publishedAt").limit(limit).all();
    },
    async allPosts() {
      return Post.objects.all();
    },
    async eagerPosts(limit) {
      const posts = await Post.objects.selectRelated("author").prefetchRelated("tags").orderBy("id").limit(limit).all();

      return posts.map((post) => ({ id: post.id, author: post.author, tags: post.tags.toArray() }));
    },
    async insertPosts(rows) {
      await Post.objects.bulkCreate(rows.map((row) => ({ ...row })));
    },
    bumpViews,
    topAuthors,
    async streamPosts(onPost) {
      for await (const post of Post.objects.orderBy("id")) {
        onPost(post);
      }
    },
    async close() {
      await db.close();
    },
  };
}

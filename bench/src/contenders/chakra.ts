/** Chakra ORM from the workspace, with the same models an application would define. */
import * as core from "@chakra-orm/core";
import { Database, Model, field, manager } from "@chakra-orm/core";
import type { Dialect, ModelClass } from "@chakra-orm/core";
import { NotAvailableError, type AuthorTotals, type Contender, type Target } from "../types.js";

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

// F(), Count() and Sum() are new in core. They are looked up at run time so
// the other workloads still run against a core that lacks them.
type ExpressionFactory = (path: string) => { add(other: unknown): unknown };
const expressions = core as unknown as Record<string, ExpressionFactory | undefined>;

function expressionFactory(name: "F" | "Count" | "Sum"): ExpressionFactory {
  const factory = expressions[name];

  if (typeof factory !== "function") {
    throw new NotAvailableError(`@chakra-orm/core does not export ${name}() yet`, "pending");
  }

  return factory;
}

/** Runs `views = views + 1` for one author through F(). */
async function bumpViews(authorId: number): Promise<number> {
  const F = expressionFactory("F");

  return Post.objects.filter({ authorId }).update({ views: F("views").add(1) as never });
}

/**
 * Groups by author with values().annotate(). The sum is named totalViews
 * because core rejects an annotation that has the name of a field.
 */
async function topAuthors(limit: number): Promise<AuthorTotals[]> {
  const Count = expressionFactory("Count");
  const Sum = expressionFactory("Sum");
  const grouped = (Post.objects as unknown as { values(path: string): { annotate?: (annotations: object) => unknown } }).values("authorId");

  if (typeof grouped.annotate !== "function") {
    throw new NotAvailableError("@chakra-orm/core has no values().annotate() yet", "pending");
  }

  const query = grouped.annotate({ posts: Count("id"), totalViews: Sum("views") }) as {
    orderBy(...keys: string[]): { limit(count: number): PromiseLike<{ authorId: number; posts: number; totalViews: number }[]> };
  };
  const rows = await query.orderBy("-totalViews", "authorId").limit(limit);

  return rows.map((row) => ({ authorId: row.authorId, posts: row.posts, views: row.totalViews }));
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

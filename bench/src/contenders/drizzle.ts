/**
 * Drizzle ORM: one table definition per dialect, relational queries for the
 * eager load, and the dialect's iterator for streaming where Drizzle has
 * one (better-sqlite3 and mysql2); on node-postgres it pages by id.
 */
import { asc, count, desc, eq, gt, relations, sql, sum } from "drizzle-orm";
import * as mysqlCore from "drizzle-orm/mysql-core";
import * as pgCore from "drizzle-orm/pg-core";
import * as sqliteCore from "drizzle-orm/sqlite-core";
import { NotAvailableError, type Contender, type PostLike, type Target } from "../types.js";

/** ISO-8601 text on SQLite, read back as a Date, matching the stored format. */
const isoTimestamp = sqliteCore.customType<{ data: Date; driverData: string }>({
  dataType: () => "text",
  toDriver: (value) => value.toISOString(),
  fromDriver: (value) => new Date(value),
});

function sqliteSchema() {
  const users = sqliteCore.sqliteTable("users", { id: sqliteCore.integer("id").primaryKey(), username: sqliteCore.text("username").notNull(), email: sqliteCore.text("email").notNull() });
  const tags = sqliteCore.sqliteTable("tags", { id: sqliteCore.integer("id").primaryKey(), name: sqliteCore.text("name").notNull() });
  const posts = sqliteCore.sqliteTable("posts", {
    id: sqliteCore.integer("id").primaryKey(),
    title: sqliteCore.text("title").notNull(),
    body: sqliteCore.text("body").notNull(),
    views: sqliteCore.integer("views").notNull(),
    publishedAt: isoTimestamp("published_at").notNull(),
    authorId: sqliteCore.integer("author_id").notNull(),
  });
  const postTags = sqliteCore.sqliteTable("post_tags", { id: sqliteCore.integer("id").primaryKey(), postId: sqliteCore.integer("post_id").notNull(), tagId: sqliteCore.integer("tag_id").notNull() });

  return { users, tags, posts, postTags };
}

function postgresSchema() {
  const users = pgCore.pgTable("users", { id: pgCore.integer("id").primaryKey(), username: pgCore.varchar("username").notNull(), email: pgCore.varchar("email").notNull() });
  const tags = pgCore.pgTable("tags", { id: pgCore.integer("id").primaryKey(), name: pgCore.varchar("name").notNull() });
  const posts = pgCore.pgTable("posts", {
    id: pgCore.integer("id").primaryKey().generatedByDefaultAsIdentity(),
    title: pgCore.varchar("title").notNull(),
    body: pgCore.text("body").notNull(),
    views: pgCore.integer("views").notNull(),
    publishedAt: pgCore.timestamp("published_at", { withTimezone: true, precision: 3, mode: "date" }).notNull(),
    authorId: pgCore.integer("author_id").notNull(),
  });
  const postTags = pgCore.pgTable("post_tags", { id: pgCore.integer("id").primaryKey(), postId: pgCore.integer("post_id").notNull(), tagId: pgCore.integer("tag_id").notNull() });

  return { users, tags, posts, postTags };
}

function mysqlSchema() {
  const users = mysqlCore.mysqlTable("users", { id: mysqlCore.int("id").primaryKey(), username: mysqlCore.varchar("username", { length: 50 }).notNull(), email: mysqlCore.varchar("email", { length: 200 }).notNull() });
  const tags = mysqlCore.mysqlTable("tags", { id: mysqlCore.int("id").primaryKey(), name: mysqlCore.varchar("name", { length: 50 }).notNull() });
  const posts = mysqlCore.mysqlTable("posts", {
    id: mysqlCore.int("id").primaryKey().autoincrement(),
    title: mysqlCore.varchar("title", { length: 200 }).notNull(),
    body: mysqlCore.text("body").notNull(),
    views: mysqlCore.int("views").notNull(),
    publishedAt: mysqlCore.datetime("published_at", { fsp: 3, mode: "date" }).notNull(),
    authorId: mysqlCore.int("author_id").notNull(),
  });
  const postTags = mysqlCore.mysqlTable("post_tags", { id: mysqlCore.int("id").primaryKey(), postId: mysqlCore.int("post_id").notNull(), tagId: mysqlCore.int("tag_id").notNull() });

  return { users, tags, posts, postTags };
}

// The three dialects' builders differ in type but not in the calls used
// here, so the shared code below works on `any`.
/* eslint-disable @typescript-eslint/no-explicit-any */
function withRelations(tables: { users: any; tags: any; posts: any; postTags: any }) {
  const { users, tags, posts, postTags } = tables;

  return {
    ...tables,
    usersRelations: relations(users, ({ many }) => ({ posts: many(posts) })),
    postsRelations: relations(posts, ({ one, many }) => ({ author: one(users, { fields: [posts.authorId], references: [users.id] }), postTags: many(postTags) })),
    postTagsRelations: relations(postTags, ({ one }) => ({ post: one(posts, { fields: [postTags.postId], references: [posts.id] }), tag: one(tags, { fields: [postTags.tagId], references: [tags.id] }) })),
    tagsRelations: relations(tags, ({ many }) => ({ postTags: many(postTags) })),
  };
}

const BULK_CHUNK = 5000;

/** Reports Drizzle's relational queries on MariaDB, which has no LATERAL joins, as unsupported. */
async function unlessLateralMissing<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;

    if (cause?.code === "ER_PARSE_ERROR" && String((error as Error).message).includes("lateral")) {
      throw new NotAvailableError("Drizzle's relational queries use LATERAL joins, which MariaDB 10.11 does not support", "unsupported");
    }

    throw error;
  }
}

export async function openDrizzle(target: Target): Promise<Contender> {
  let db: any;
  let close: () => Promise<void>;
  let schema: ReturnType<typeof withRelations>;

  if (target.database === "sqlite") {
    const { default: Sqlite } = await import("better-sqlite3");
    const { drizzle } = await import("drizzle-orm/better-sqlite3");
    const client = new Sqlite(target.location);
    schema = withRelations(sqliteSchema());
    db = drizzle(client, { schema });
    close = async () => {
      client.close();
    };
  } else if (target.database === "postgres") {
    const { default: pg } = await import("pg");
    const { drizzle } = await import("drizzle-orm/node-postgres");
    const pool = new pg.Pool({ connectionString: target.location, max: 4 });
    schema = withRelations(postgresSchema());
    db = drizzle(pool, { schema });
    close = () => pool.end();
  } else {
    const { default: mysql } = await import("mysql2");
    const { drizzle } = await import("drizzle-orm/mysql2");
    const pool = mysql.createPool({ uri: target.location, timezone: "Z", connectionLimit: 4 });
    schema = withRelations(mysqlSchema());
    db = drizzle(pool, { schema, mode: "default" });
    close = () => new Promise((resolve) => pool.end(() => resolve()));
  }

  const { posts } = schema;
  const sqlite = target.database === "sqlite";
  // better-sqlite3 queries are synchronous: `.all()` runs them, `await` alone does not.
  const rows = async (query: any) => (sqlite ? query.all() : await query);

  return {
    name: "drizzle",
    async getPost(id) {
      const [post] = await rows(db.select().from(posts).where(eq(posts.id, id)));

      return post;
    },
    async listPopular(minViews, limit) {
      return rows(db.select().from(posts).where(gt(posts.views, minViews)).orderBy(desc(posts.publishedAt)).limit(limit));
    },
    async allPosts() {
      return rows(db.select().from(posts));
    },
    async eagerPosts(limit) {
      const query = db.query.posts.findMany({ with: { author: true, postTags: { with: { tag: true } } }, orderBy: [asc(posts.id)], limit });
      const found = await (target.database === "mysql" ? unlessLateralMissing(query) : query);

      return found.map((post: any) => ({ ...post, tags: post.postTags.map((link: any) => link.tag) }));
    },
    async insertPosts(newRows) {
      const insertAll = async (tx: any) => {
        for (let start = 0; start < newRows.length; start += BULK_CHUNK) {
          const query = tx.insert(posts).values(newRows.slice(start, start + BULK_CHUNK));
          await (sqlite ? query.run() : query);
        }
      };

      if (sqlite) {
        // Drizzle's better-sqlite3 transactions are synchronous.
        db.transaction((tx: any) => {
          for (let start = 0; start < newRows.length; start += BULK_CHUNK) {
            tx.insert(posts).values(newRows.slice(start, start + BULK_CHUNK)).run();
          }
        });
      } else {
        await db.transaction(insertAll);
      }
    },
    async bumpViews(authorId) {
      const query = db.update(posts).set({ views: sql`${posts.views} + 1` }).where(eq(posts.authorId, authorId));

      if (sqlite) {
        return query.run().changes;
      }

      const result = await query;

      return target.database === "postgres" ? result.rowCount : result[0].affectedRows;
    },
    async topAuthors(limit) {
      return rows(
        db
          .select({ authorId: posts.authorId, posts: count(), views: sum(posts.views) })
          .from(posts)
          .groupBy(posts.authorId)
          .orderBy(desc(sum(posts.views)), asc(posts.authorId))
          .limit(limit),
      );
    },
    async streamPosts(onPost) {
      if (target.database === "mysql") {
        for await (const post of db.select().from(posts).orderBy(asc(posts.id)).iterator()) {
          onPost(post as PostLike);
        }

        return;
      }

      // Drizzle 0.45 has an iterator only for MySQL drivers, so this pages by id.
      let lastId = 0;

      for (let page = 0; page < 1_000_000; page += 1) {
        const batch: PostLike[] = await rows(db.select().from(posts).where(gt(posts.id, lastId)).orderBy(asc(posts.id)).limit(target.streamBatchSize));

        if (batch.length === 0) {
          break;
        }

        batch.forEach(onPost);
        lastId = batch[batch.length - 1]!.id;
      }
    },
    close: () => close(),
  };
}

/**
 * Kysely 0.28, a query builder: rows come back as the driver returns them,
 * the eager load uses its JSON helpers, and streaming uses `.stream()`.
 */
import { Kysely, MysqlDialect, ParseJSONResultsPlugin, PostgresDialect, SqliteDialect, sql, type Dialect } from "kysely";
import { jsonArrayFrom as mysqlArray, jsonObjectFrom as mysqlObject } from "kysely/helpers/mysql";
import { jsonArrayFrom as pgArray, jsonObjectFrom as pgObject } from "kysely/helpers/postgres";
import { jsonArrayFrom as sqliteArray, jsonObjectFrom as sqliteObject } from "kysely/helpers/sqlite";
import { NotAvailableError, type Contender, type EagerPost, type PostLike, type Target } from "../types.js";

interface Tables {
  users: { id: number; username: string; email: string };
  tags: { id: number; name: string };
  posts: { id: number; title: string; body: string; views: number; published_at: Date | string; author_id: number };
  post_tags: { id: number; post_id: number; tag_id: number };
}

const POST_COLUMNS = ["id", "title", "body", "views", "published_at as publishedAt"] as const;
const BULK_CHUNK = 5000;

async function createDialect(target: Target): Promise<Dialect> {
  if (target.database === "sqlite") {
    const { default: Sqlite } = await import("better-sqlite3");

    return new SqliteDialect({ database: new Sqlite(target.location) });
  }

  if (target.database === "postgres") {
    const { default: pg } = await import("pg");
    const { default: Cursor } = await import("pg-cursor");

    return new PostgresDialect({ pool: new pg.Pool({ connectionString: target.location, max: 4 }), cursor: Cursor });
  }

  const { default: mysql } = await import("mysql2");

  return new MysqlDialect({ pool: mysql.createPool({ uri: target.location, timezone: "Z", connectionLimit: 4 }) });
}

export async function openKysely(target: Target): Promise<Contender> {
  // SQLite returns the JSON helpers' output as text; the plugin parses it.
  const db = new Kysely<Tables>({ dialect: await createDialect(target), plugins: target.database === "sqlite" ? [new ParseJSONResultsPlugin()] : [] });
  const helpers = target.database === "sqlite" ? { array: sqliteArray, object: sqliteObject } : target.database === "postgres" ? { array: pgArray, object: pgObject } : { array: mysqlArray, object: mysqlObject };

  return {
    name: "kysely",
    async getPost(id) {
      return db.selectFrom("posts").select(POST_COLUMNS).where("id", "=", id).executeTakeFirstOrThrow();
    },
    async listPopular(minViews, limit) {
      return db.selectFrom("posts").select(POST_COLUMNS).where("views", ">", minViews).orderBy("published_at", "desc").limit(limit).execute();
    },
    async allPosts() {
      return db.selectFrom("posts").select(POST_COLUMNS).execute();
    },
    async eagerPosts(limit) {
      if (target.database === "mysql") {
        throw new NotAvailableError("Kysely's MySQL JSON helpers use CAST(... AS JSON), which MariaDB 10.11 does not support", "unsupported");
      }

      const rows = await db
        .selectFrom("posts")
        .select(POST_COLUMNS)
        .select((eb) => [
          helpers.object(eb.selectFrom("users").select(["users.id", "users.username"]).whereRef("users.id", "=", "posts.author_id")).as("author"),
          helpers.array(eb.selectFrom("post_tags").innerJoin("tags", "tags.id", "post_tags.tag_id").select(["tags.id", "tags.name"]).whereRef("post_tags.post_id", "=", "posts.id")).as("tags"),
        ])
        .orderBy("id")
        .limit(limit)
        .execute();

      return rows as unknown as EagerPost[];
    },
    async insertPosts(rows) {
      await db.transaction().execute(async (tx) => {
        for (let start = 0; start < rows.length; start += BULK_CHUNK) {
          const chunk = rows.slice(start, start + BULK_CHUNK).map((row) => ({
            title: row.title,
            body: row.body,
            views: row.views,
            published_at: target.database === "sqlite" ? row.publishedAt.toISOString() : row.publishedAt,
            author_id: row.authorId,
          }));
          await tx.insertInto("posts").values(chunk as never).execute();
        }
      });
    },
    async bumpViews(authorId) {
      const result = await db.updateTable("posts").set((eb) => ({ views: eb("views", "+", 1) })).where("author_id", "=", authorId).executeTakeFirst();

      return Number(result.numUpdatedRows);
    },
    async topAuthors(limit) {
      return db
        .selectFrom("posts")
        .select((eb) => ["author_id as authorId", eb.fn.countAll().as("posts"), eb.fn.sum<number>("views").as("views")])
        .groupBy("author_id")
        .orderBy(sql`sum(views)`, "desc")
        .orderBy("author_id")
        .limit(limit)
        .execute();
    },
    async streamPosts(onPost) {
      for await (const post of db.selectFrom("posts").select(POST_COLUMNS).orderBy("id").stream(target.streamBatchSize)) {
        onPost(post as PostLike);
      }
    },
    close: () => db.destroy(),
  };
}

/**
 * The baseline: each database's driver with hand-written SQL, used the way
 * a careful application would (prepared statements on SQLite, a pool on
 * the servers, cursors for streaming).
 */
import Sqlite from "better-sqlite3";
import mysql from "mysql2/promise";
import pg from "pg";
import Cursor from "pg-cursor";
import type { AuthorTotals, Contender, EagerPost, NewPost, PostLike, Target } from "../types.js";

const POST_COLUMNS = "id, title, body, views, published_at AS \"publishedAt\"";
const TOP_AUTHORS = "SELECT author_id AS \"authorId\", count(*) AS posts, sum(views) AS views FROM posts GROUP BY author_id ORDER BY views DESC, author_id LIMIT ?";

interface Rows {
  posts: PostLike[];
  authors: { id: number; username: string }[];
  tags: { post_id: number; id: number; name: string }[];
}

/** Assembles eager-load results from the three result sets. */
function assemble(rows: Rows, authorIds: Map<number, number>): EagerPost[] {
  const authors = new Map(rows.authors.map((author) => [author.id, author]));
  const tagsByPost = new Map<number, { id: number; name: string }[]>();

  for (const tag of rows.tags) {
    let list = tagsByPost.get(tag.post_id);

    if (!list) {
      list = [];
      tagsByPost.set(tag.post_id, list);
    }

    list.push({ id: tag.id, name: tag.name });
  }

  return rows.posts.map((post) => ({
    ...post,
    author: authors.get(authorIds.get(post.id)!)!,
    tags: tagsByPost.get(post.id) ?? [],
  }));
}

function mysqlQuote(sql: string): string {
  return sql.replace(/"/g, "`");
}

function sqliteContender(target: Target): Contender {
  const db = new Sqlite(target.location);
  // The same pragmas Chakra's SQLite dialect sets, so the baseline commits the same way.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  const toPost = (row: PostLike) => ({ ...row, publishedAt: new Date(row.publishedAt as string) });
  const getPost = db.prepare(`SELECT ${POST_COLUMNS} FROM posts WHERE id = ?`);
  const popular = db.prepare(`SELECT ${POST_COLUMNS} FROM posts WHERE views > ? ORDER BY published_at DESC LIMIT ?`);
  const all = db.prepare(`SELECT ${POST_COLUMNS} FROM posts`);
  const eager = db.prepare(`SELECT ${POST_COLUMNS}, author_id AS authorId FROM posts ORDER BY id LIMIT ?`);
  const insert = db.prepare("INSERT INTO posts (title, body, views, published_at, author_id) VALUES (?, ?, ?, ?, ?)");
  const insertAll = db.transaction((rows: readonly NewPost[]) => {
    for (const row of rows) {
      insert.run(row.title, row.body, row.views, row.publishedAt.toISOString(), row.authorId);
    }
  });
  const bump = db.prepare("UPDATE posts SET views = views + 1 WHERE author_id = ?");
  const top = db.prepare(TOP_AUTHORS);
  const stream = db.prepare(`SELECT ${POST_COLUMNS} FROM posts ORDER BY id`);

  return {
    name: "raw",
    async getPost(id) {
      return toPost(getPost.get(id) as PostLike);
    },
    async listPopular(minViews, limit) {
      return (popular.all(minViews, limit) as PostLike[]).map(toPost);
    },
    async allPosts() {
      return (all.all() as PostLike[]).map(toPost);
    },
    async eagerPosts(limit) {
      const posts = (eager.all(limit) as (PostLike & { authorId: number })[]).map((row) => ({ ...toPost(row), authorId: row.authorId }));
      const authorIds = new Map(posts.map((post) => [post.id, post.authorId]));
      const ids = posts.map((post) => post.id);
      const marks = ids.map(() => "?").join(", ");
      const authors = db.prepare(`SELECT id, username FROM users WHERE id IN (${[...new Set(authorIds.values())].map(() => "?").join(", ")})`).all(...new Set(authorIds.values())) as Rows["authors"];
      const tags = db.prepare(`SELECT pt.post_id, t.id, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id IN (${marks})`).all(...ids) as Rows["tags"];

      return assemble({ posts, authors, tags }, authorIds);
    },
    async insertPosts(rows) {
      insertAll(rows);
    },
    async bumpViews(authorId) {
      return bump.run(authorId).changes;
    },
    async topAuthors(limit) {
      return top.all(limit) as AuthorTotals[];
    },
    async streamPosts(onPost) {
      for (const row of stream.iterate() as IterableIterator<PostLike>) {
        onPost(toPost(row));
      }
    },
    async close() {
      db.close();
    },
  };
}

function numbered(sql: string): string {
  let index = 0;

  return sql.replace(/\?/g, () => `$${(index += 1)}`);
}

function postgresContender(target: Target): Contender {
  const pool = new pg.Pool({ connectionString: target.location, max: 4 });

  return {
    name: "raw",
    async getPost(id) {
      const result = await pool.query<PostLike>(`SELECT ${POST_COLUMNS} FROM posts WHERE id = $1`, [id]);

      return result.rows[0]!;
    },
    async listPopular(minViews, limit) {
      return (await pool.query<PostLike>(`SELECT ${POST_COLUMNS} FROM posts WHERE views > $1 ORDER BY published_at DESC LIMIT $2`, [minViews, limit])).rows;
    },
    async allPosts() {
      return (await pool.query<PostLike>(`SELECT ${POST_COLUMNS} FROM posts`)).rows;
    },
    async eagerPosts(limit) {
      const posts = (await pool.query<PostLike & { authorId: number }>(`SELECT ${POST_COLUMNS}, author_id AS "authorId" FROM posts ORDER BY id LIMIT $1`, [limit])).rows;
      const authorIds = new Map(posts.map((post) => [post.id, post.authorId]));
      const authors = (await pool.query("SELECT id, username FROM users WHERE id = ANY($1)", [[...new Set(authorIds.values())]])).rows;
      const tags = (await pool.query("SELECT pt.post_id, t.id, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = ANY($1)", [posts.map((post) => post.id)])).rows;

      return assemble({ posts, authors, tags }, authorIds);
    },
    async insertPosts(rows) {
      // One multi-row INSERT per chunk, below PostgreSQL's 65,535 bound-parameter limit.
      const client = await pool.connect();

      try {
        await client.query("BEGIN");

        for (let start = 0; start < rows.length; start += 5000) {
          const chunk = rows.slice(start, start + 5000);
          const tuples = chunk.map((_, index) => `($${index * 5 + 1}, $${index * 5 + 2}, $${index * 5 + 3}, $${index * 5 + 4}, $${index * 5 + 5})`);
          await client.query(`INSERT INTO posts (title, body, views, published_at, author_id) VALUES ${tuples.join(", ")}`, chunk.flatMap((row) => [row.title, row.body, row.views, row.publishedAt, row.authorId]));
        }

        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      } finally {
        client.release();
      }
    },
    async bumpViews(authorId) {
      return (await pool.query("UPDATE posts SET views = views + 1 WHERE author_id = $1", [authorId])).rowCount ?? 0;
    },
    async topAuthors(limit) {
      return (await pool.query<AuthorTotals>(numbered(TOP_AUTHORS), [limit])).rows;
    },
    async streamPosts(onPost) {
      const client = await pool.connect();

      try {
        const cursor = client.query(new Cursor<PostLike>(`SELECT ${POST_COLUMNS} FROM posts ORDER BY id`));

        for (let rows = await cursor.read(target.streamBatchSize); rows.length > 0; rows = await cursor.read(target.streamBatchSize)) {
          rows.forEach(onPost);
        }

        await cursor.close();
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

function mysqlContender(target: Target): Contender {
  const pool = mysql.createPool({ uri: target.location, timezone: "Z", connectionLimit: 4 });
  const columns = mysqlQuote(POST_COLUMNS);

  return {
    name: "raw",
    async getPost(id) {
      const [rows] = await pool.execute(`SELECT ${columns} FROM posts WHERE id = ?`, [id]);

      return (rows as PostLike[])[0]!;
    },
    async listPopular(minViews, limit) {
      const [rows] = await pool.execute(`SELECT ${columns} FROM posts WHERE views > ? ORDER BY published_at DESC LIMIT ?`, [minViews, String(limit)]);

      return rows as PostLike[];
    },
    async allPosts() {
      const [rows] = await pool.query(`SELECT ${columns} FROM posts`);

      return rows as PostLike[];
    },
    async eagerPosts(limit) {
      const [postRows] = await pool.execute(`SELECT ${columns}, author_id AS authorId FROM posts ORDER BY id LIMIT ?`, [String(limit)]);
      const posts = postRows as (PostLike & { authorId: number })[];
      const authorIds = new Map(posts.map((post) => [post.id, post.authorId]));
      const [authors] = await pool.query("SELECT id, username FROM users WHERE id IN (?)", [[...new Set(authorIds.values())]]);
      const [tags] = await pool.query("SELECT pt.post_id, t.id, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id IN (?)", [posts.map((post) => post.id)]);

      return assemble({ posts, authors: authors as Rows["authors"], tags: tags as Rows["tags"] }, authorIds);
    },
    async insertPosts(rows) {
      const connection = await pool.getConnection();

      try {
        await connection.beginTransaction();

        for (let start = 0; start < rows.length; start += 5000) {
          const chunk = rows.slice(start, start + 5000);
          await connection.query("INSERT INTO posts (title, body, views, published_at, author_id) VALUES ?", [chunk.map((row) => [row.title, row.body, row.views, row.publishedAt, row.authorId])]);
        }

        await connection.commit();
      } catch (error) {
        await connection.rollback();
        throw error;
      } finally {
        connection.release();
      }
    },
    async bumpViews(authorId) {
      const [result] = await pool.execute("UPDATE posts SET views = views + 1 WHERE author_id = ?", [authorId]);

      return (result as mysql.ResultSetHeader).affectedRows;
    },
    async topAuthors(limit) {
      const [rows] = await pool.execute(mysqlQuote(TOP_AUTHORS), [String(limit)]);

      return rows as AuthorTotals[];
    },
    async streamPosts(onPost) {
      // mysql2's row stream is on the callback connection underneath the promise one.
      const connection = await pool.getConnection();

      try {
        const callbackConnection = (connection as unknown as { connection: import("mysql2").Connection }).connection;
        const stream = callbackConnection.query(`SELECT ${columns} FROM posts ORDER BY id`).stream({ highWaterMark: target.streamBatchSize });

        for await (const row of stream) {
          onPost(row as PostLike);
        }
      } finally {
        connection.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export async function openRaw(target: Target): Promise<Contender> {
  switch (target.database) {
    case "sqlite":
      return sqliteContender(target);
    case "postgres":
      return postgresContender(target);
    case "mysql":
      return mysqlContender(target);
  }
}

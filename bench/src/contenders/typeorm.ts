/**
 * TypeORM with entity schemas (no decorators, because tsx does not emit
 * decorator metadata). The stream workload uses TypeORM's raw row stream on
 * PostgreSQL and MySQL; its SQLite drivers have no stream, so there it pages
 * by id.
 */
import "reflect-metadata";
import { DataSource, EntitySchema, MoreThan, type DataSourceOptions, type ObjectLiteral } from "typeorm";
import type { AuthorTotals, Contender, EagerPost, PostLike, Target } from "../types.js";

interface UserEntity {
  id: number;
  username: string;
  email: string;
}

interface TagEntity {
  id: number;
  name: string;
}

interface PostEntity extends PostLike {
  authorId: number;
  author?: UserEntity;
  tags?: TagEntity[];
}

const BULK_CHUNK = 5000;
/** Upper bound on pages in the stream workload, so a wrong cursor cannot loop forever. */
const MAX_PAGES = 1_000_000;

/**
 * TypeORM column type of published_at. On SQLite, "datetime" reads the seeded
 * ISO-8601 text as UTC.
 * NOTE: TypeORM writes "YYYY-MM-DD HH:MM:SS.SSS" there, which sorts apart from
 * the seeded rows; only the bulk-insert workload writes, and it deletes its rows.
 */
const TIMESTAMP_TYPES = { sqlite: "datetime", postgres: "timestamptz", mysql: "datetime" } as const;

function entitySchemas(target: Target) {
  const User = new EntitySchema<UserEntity>({
    name: "User",
    tableName: "users",
    columns: { id: { type: Number, primary: true, generated: true }, username: { type: String }, email: { type: String } },
  });
  const Tag = new EntitySchema<TagEntity>({
    name: "Tag",
    tableName: "tags",
    columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
  });
  const Post = new EntitySchema<PostEntity>({
    name: "Post",
    tableName: "posts",
    columns: {
      id: { type: Number, primary: true, generated: true },
      title: { type: String },
      body: { type: "text" },
      views: { type: Number },
      publishedAt: { name: "published_at", type: TIMESTAMP_TYPES[target.database], precision: target.database === "sqlite" ? undefined : 3 },
      authorId: { name: "author_id", type: Number },
    },
    relations: {
      author: { type: "many-to-one", target: "User", joinColumn: { name: "author_id" } },
      tags: { type: "many-to-many", target: "Tag", joinTable: { name: "post_tags", joinColumn: { name: "post_id" }, inverseJoinColumn: { name: "tag_id" } } },
    },
  });

  return { User, Tag, Post };
}

function dataSourceOptions(target: Target, entities: EntitySchema[]): DataSourceOptions {
  switch (target.database) {
    case "sqlite":
      return { type: "better-sqlite3", database: target.location, entities };
    case "postgres":
      return { type: "postgres", url: target.location, poolSize: 4, entities };
    case "mysql":
      return { type: "mariadb", url: target.location, timezone: "Z", poolSize: 4, entities };
  }
}

/** Maps one raw row of `createQueryBuilder("post").stream()`, whose columns are prefixed with the alias. */
function rawPost(row: ObjectLiteral): PostLike {
  return { id: row.post_id, title: row.post_title, body: row.post_body, views: row.post_views, publishedAt: row.post_published_at };
}

export async function openTypeorm(target: Target): Promise<Contender> {
  const schemas = entitySchemas(target);
  const dataSource = await new DataSource(dataSourceOptions(target, Object.values(schemas))).initialize();
  const posts = dataSource.getRepository(schemas.Post);

  return {
    name: "typeorm",
    async getPost(id) {
      return posts.findOneByOrFail({ id });
    },
    async listPopular(minViews, limit) {
      return posts.find({ where: { views: MoreThan(minViews) }, order: { publishedAt: "DESC" }, take: limit });
    },
    async allPosts() {
      return posts.find();
    },
    async eagerPosts(limit) {
      const found = await posts.find({ relations: { author: true, tags: true }, order: { id: "ASC" }, take: limit });

      return found.map((post): EagerPost => ({ id: post.id, author: post.author!, tags: post.tags! }));
    },
    async insertPosts(rows) {
      await dataSource.transaction(async (manager) => {
        for (let start = 0; start < rows.length; start += BULK_CHUNK) {
          await manager.insert(schemas.Post, rows.slice(start, start + BULK_CHUNK));
        }
      });
    },
    async bumpViews(authorId) {
      const result = await posts.increment({ authorId }, "views", 1);

      return result.affected ?? 0;
    },
    async topAuthors(limit) {
      return posts
        .createQueryBuilder("post")
        .select("post.authorId", "authorId")
        .addSelect("COUNT(*)", "posts")
        .addSelect("SUM(post.views)", "views")
        .groupBy("post.authorId")
        .orderBy("SUM(post.views)", "DESC")
        .addOrderBy("post.authorId", "ASC")
        .limit(limit)
        .getRawMany<AuthorTotals>();
    },
    async streamPosts(onPost) {
      if (target.database !== "sqlite") {
        const stream = await posts.createQueryBuilder("post").orderBy("post.id", "ASC").stream();

        for await (const row of stream) {
          onPost(rawPost(row as ObjectLiteral));
        }

        return;
      }

      let lastId = 0;

      for (let page = 0; page < MAX_PAGES; page += 1) {
        const batch = await posts.find({ where: { id: MoreThan(lastId) }, order: { id: "ASC" }, take: target.streamBatchSize });

        if (batch.length === 0) {
          break;
        }

        batch.forEach(onPost);
        lastId = batch[batch.length - 1]!.id;
      }
    },
    close: () => dataSource.destroy(),
  };
}

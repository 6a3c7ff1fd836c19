/**
 * MikroORM 6 with entity schemas (no decorators, because tsx does not emit
 * decorator metadata). Every operation runs in its own forked entity
 * manager, as a request would, so the identity map does not carry entities
 * from one operation to the next. MikroORM 6 has no streaming query, so the
 * stream workload pages by id.
 */
import { Collection, EntitySchema, MikroORM, QueryOrder, raw, type Options } from "@mikro-orm/core";
// Each SQL driver package re-exports @mikro-orm/knex, whose entity manager has createQueryBuilder().
import type { SqlEntityManager } from "@mikro-orm/postgresql";
import type { AuthorTotals, Contender, EagerPost, PostLike, Target } from "../types.js";

class User {
  id!: number;
  username!: string;
  email!: string;
}

class Tag {
  id!: number;
  name!: string;
}

class Post {
  id!: number;
  title!: string;
  body!: string;
  views!: number;
  publishedAt!: Date;
  author!: User;
  tags = new Collection<Tag>(this);
}

const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: "users",
  properties: { id: { type: "integer", primary: true }, username: { type: "string" }, email: { type: "string" } },
});

const TagSchema = new EntitySchema<Tag>({
  class: Tag,
  tableName: "tags",
  properties: { id: { type: "integer", primary: true }, name: { type: "string" } },
});

const PostSchema = new EntitySchema<Post>({
  class: Post,
  tableName: "posts",
  properties: {
    id: { type: "integer", primary: true },
    title: { type: "string" },
    body: { type: "text" },
    views: { type: "integer" },
    publishedAt: { type: "datetime", fieldName: "published_at", length: 3 },
    author: { kind: "m:1", entity: () => User, fieldName: "author_id" },
    tags: { kind: "m:n", entity: () => Tag, pivotTable: "post_tags", joinColumn: "post_id", inverseJoinColumn: "tag_id" },
  },
});

const BULK_CHUNK = 5000;
/** Upper bound on pages in the stream workload, so a wrong cursor cannot loop forever. */
const MAX_PAGES = 1_000_000;

async function initOrm(target: Target): Promise<MikroORM> {
  const common: Options = {
    entities: [UserSchema, TagSchema, PostSchema],
    debug: false,
    // The timestamps are UTC, and MySQL's DATETIME column has no zone.
    forceUtcTimezone: true,
    pool: { min: 0, max: 4 },
  };

  switch (target.database) {
    case "sqlite": {
      const { BetterSqliteDriver } = await import("@mikro-orm/better-sqlite");

      return MikroORM.init({ ...common, driver: BetterSqliteDriver, dbName: target.location });
    }
    case "postgres": {
      const { PostgreSqlDriver } = await import("@mikro-orm/postgresql");

      return MikroORM.init({ ...common, driver: PostgreSqlDriver, clientUrl: target.location });
    }
    case "mysql": {
      const { MySqlDriver } = await import("@mikro-orm/mysql");

      return MikroORM.init({ ...common, driver: MySqlDriver, clientUrl: target.location, timezone: "+00:00" });
    }
  }
}

export async function openMikroOrm(target: Target): Promise<Contender> {
  const orm = await initOrm(target);
  const fork = () => orm.em.fork() as SqlEntityManager;
  const authorIdAlias = orm.em.getPlatform().quoteIdentifier("authorId");

  return {
    name: "mikro-orm",
    async getPost(id) {
      return fork().findOneOrFail(Post, id);
    },
    async listPopular(minViews, limit) {
      return fork().find(Post, { views: { $gt: minViews } }, { orderBy: { publishedAt: QueryOrder.DESC }, limit });
    },
    async allPosts() {
      return fork().find(Post, {});
    },
    async eagerPosts(limit) {
      const posts = await fork().find(Post, {}, { populate: ["author", "tags"], orderBy: { id: QueryOrder.ASC }, limit });

      return posts.map((post): EagerPost => ({ id: post.id, author: post.author, tags: post.tags.getItems() }));
    },
    async insertPosts(rows) {
      await fork().transactional(async (em) => {
        for (let start = 0; start < rows.length; start += BULK_CHUNK) {
          const chunk = rows.slice(start, start + BULK_CHUNK).map(({ authorId, ...row }) => ({ ...row, author: authorId }));
          await em.insertMany(Post, chunk);
        }
      });
    },
    async bumpViews(authorId) {
      return fork().nativeUpdate(Post, { author: authorId }, { views: raw("views + 1") });
    },
    async topAuthors(limit) {
      const rows = await fork()
        .createQueryBuilder(Post, "p")
        .select([raw(`p.author_id as ${authorIdAlias}`), raw("count(*) as posts"), raw("sum(p.views) as views")])
        .groupBy("p.author")
        .orderBy([{ [raw("sum(p.views)")]: QueryOrder.DESC }, { author: QueryOrder.ASC }])
        .limit(limit)
        .execute("all", false);

      return rows as unknown as AuthorTotals[];
    },
    async streamPosts(onPost) {
      let lastId = 0;

      for (let page = 0; page < MAX_PAGES; page += 1) {
        // A fresh fork per page keeps the identity map at one page of entities.
        const batch: PostLike[] = await fork().find(Post, { id: { $gt: lastId } }, { orderBy: { id: QueryOrder.ASC }, limit: target.streamBatchSize });

        if (batch.length === 0) {
          break;
        }

        batch.forEach(onPost);
        lastId = batch[batch.length - 1]!.id;
      }
    },
    close: () => orm.close(),
  };
}

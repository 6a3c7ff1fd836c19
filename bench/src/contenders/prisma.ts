/**
 * Prisma 7 through its driver adapters (better-sqlite3, node-postgres and
 * the mariadb driver), with the client generated from bench/prisma/ into
 * bench/generated/. Prisma has no cursor API, so the stream workload pages
 * by id.
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { prismaClientPath } from "../prisma-generate.js";
import type { AuthorTotals, Contender, EagerPost, PostLike, Target } from "../types.js";

// The generated client is not committed, and tsc must pass without it.
// The calls below therefore use the delegates untyped.
interface PrismaClientLike {
  post: any;
  $transaction<T>(run: (tx: { post: any }) => Promise<T>, options: { timeout: number }): Promise<T>;
  $disconnect(): Promise<void>;
}

const POST_FIELDS = { id: true, title: true, body: true, views: true, publishedAt: true } as const;
const BULK_CHUNK = 5000;
/** Timeout of the bulk-insert transaction, in milliseconds. */
const TRANSACTION_TIMEOUT_MS = 120_000;
/** Upper bound on pages in the stream workload, so a wrong cursor cannot loop forever. */
const MAX_PAGES = 1_000_000;

async function createAdapter(target: Target): Promise<unknown> {
  switch (target.database) {
    case "sqlite": {
      const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");

      // iso8601 writes ISO-8601 text with a "+00:00" offset, which sorts like the seeded "Z" rows.
      return new PrismaBetterSqlite3({ url: target.location }, { timestampFormat: "iso8601" });
    }
    case "postgres": {
      const { PrismaPg } = await import("@prisma/adapter-pg");

      return new PrismaPg({ connectionString: target.location, max: 4 });
    }
    case "mysql": {
      const { PrismaMariaDb } = await import("@prisma/adapter-mariadb");
      const url = new URL(target.location);

      return new PrismaMariaDb({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
        connectionLimit: 4,
      });
    }
  }
}

export async function openPrisma(target: Target): Promise<Contender> {
  const clientPath = prismaClientPath(target.database);

  if (!existsSync(clientPath)) {
    throw new Error(`Prisma client not found at ${clientPath}. Run \`pnpm bench\` (it generates missing clients) or \`prisma generate --schema bench/prisma/${target.database}.prisma\`.`);
  }

  const { PrismaClient } = (await import(pathToFileURL(clientPath).href)) as { PrismaClient: new (options: { adapter: unknown }) => PrismaClientLike };
  const prisma = new PrismaClient({ adapter: await createAdapter(target) });

  return {
    name: "prisma",
    async getPost(id) {
      return prisma.post.findUniqueOrThrow({ where: { id }, select: POST_FIELDS });
    },
    async listPopular(minViews, limit) {
      return prisma.post.findMany({ where: { views: { gt: minViews } }, orderBy: { publishedAt: "desc" }, take: limit, select: POST_FIELDS });
    },
    async allPosts() {
      return prisma.post.findMany({ select: POST_FIELDS });
    },
    async eagerPosts(limit) {
      const posts = await prisma.post.findMany({
        include: { author: { select: { id: true, username: true } }, postTags: { include: { tag: { select: { id: true, name: true } } } } },
        orderBy: { id: "asc" },
        take: limit,
      });

      return posts.map((post: any): EagerPost => ({ id: post.id, author: post.author, tags: post.postTags.map((link: any) => link.tag) }));
    },
    async insertPosts(rows) {
      // Prisma 7 expires interactive and batch transactions after 5 s by
      // default, and 10,000 rows took 6 to 8 s on the busy 2-core bench machine.
      await prisma.$transaction(
        async (tx) => {
          for (let start = 0; start < rows.length; start += BULK_CHUNK) {
            await tx.post.createMany({ data: rows.slice(start, start + BULK_CHUNK) });
          }
        },
        { timeout: TRANSACTION_TIMEOUT_MS },
      );
    },
    async bumpViews(authorId) {
      const result = await prisma.post.updateMany({ where: { authorId }, data: { views: { increment: 1 } } });

      return result.count;
    },
    async topAuthors(limit) {
      const groups = await prisma.post.groupBy({
        by: ["authorId"],
        _count: { _all: true },
        _sum: { views: true },
        orderBy: [{ _sum: { views: "desc" } }, { authorId: "asc" }],
        take: limit,
      });

      return groups.map((group: any): AuthorTotals => ({ authorId: group.authorId, posts: group._count._all, views: group._sum.views }));
    },
    async streamPosts(onPost) {
      let lastId = 0;

      for (let page = 0; page < MAX_PAGES; page += 1) {
        const batch: PostLike[] = await prisma.post.findMany({ where: { id: { gt: lastId } }, orderBy: { id: "asc" }, take: target.streamBatchSize, select: POST_FIELDS });

        if (batch.length === 0) {
          break;
        }

        batch.forEach(onPost);
        lastId = batch[batch.length - 1]!.id;
      }
    },
    close: () => prisma.$disconnect(),
  };
}

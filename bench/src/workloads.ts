/**
 * The eight workloads. Each runs one timed operation on a contender,
 * then checks the result against the data set and undoes any write, both
 * outside the timed part.
 */
import {
  expectedPopular,
  expectedTopAuthors,
  extraPosts,
  normalizeTotals,
  postChecksum,
  sumChecksums,
  type Dataset,
} from "./dataset.js";
import type { Admin } from "./databases.js";
import type { Contender, EagerPost, NewPost, PostLike, Target } from "./types.js";

/** How big each workload is; `--quick` uses smaller numbers. */
export interface WorkloadSizes {
  lookupsPerOperation: number;
  minViews: number;
  listLimit: number;
  eagerLimit: number;
  bulkRows: number;
  streamRows: number;
  /**
   * Operations run back to back in one timed sample of a short workload,
   * so the sample measures steady-state work rather than the cold start
   * after another contender's turn.
   */
  burst: number;
}

export interface WorkloadContext {
  dataset: Dataset;
  admin: Admin;
  target: Target;
  sizes: WorkloadSizes;
  /** Rows added by `prepare` for the stream workload, with their checksum. */
  streamChecksum?: number;
}

/** What one timed operation produced; `peakRssBytes` only for the stream workload. */
export interface OperationOutput {
  value: unknown;
  peakRssBytes?: number;
}

export interface Workload {
  id: string;
  title: string;
  /** What one timed operation does, for the report. */
  unit: (sizes: WorkloadSizes) => string;
  /** Heavy workloads run fewer rounds. */
  heavy: boolean;
  /** Short workloads run `sizes.burst` operations per timed sample. */
  short?: boolean;
  prepare?(context: WorkloadContext): Promise<void>;
  /**
   * Runs one operation whose inputs `round` picks. The operations of one
   * burst get consecutive round numbers, so each has its own inputs.
   */
  run(contender: Contender, context: WorkloadContext, round: number): Promise<OperationOutput>;
  /** Throws MismatchError when the output is wrong. */
  verify(output: OperationOutput, context: WorkloadContext, round: number): Promise<void>;
  /** Undoes the operation's writes so the next one starts from the same data. */
  reset?(context: WorkloadContext, round: number): Promise<void>;
  finish?(context: WorkloadContext): Promise<void>;
}

const PREVIEW_LENGTH = 300;

/** JSON of a value, cut to PREVIEW_LENGTH characters so a mismatch stays readable. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);

  return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH)}... (${text.length} characters)` : text;
}

/** A result that differs from the expected one. */
export class MismatchError extends Error {
  constructor(what: string, expected: unknown, actual: unknown) {
    super(`${what}: expected ${preview(expected)}, got ${preview(actual)}`);
    this.name = "MismatchError";
  }
}

function expectEqual(what: string, expected: unknown, actual: unknown): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new MismatchError(what, expected, actual);
  }
}

/** Ids looked up in `round`: a different spread of ids each round, the same for every contender. */
function lookupIds(context: WorkloadContext, round: number): number[] {
  const posts = context.dataset.posts.length;
  const ids: number[] = [];

  for (let index = 0; index < context.sizes.lookupsPerOperation; index += 1) {
    ids.push(1 + ((round * 7727 + index * 104_729) % posts + posts) % posts);
  }

  return ids;
}

/** Author whose posts the update workload bumps in `round`. */
function bumpedAuthor(context: WorkloadContext, round: number): number {
  const users = context.dataset.users.length;

  return 1 + (((round * 37) % users) + users) % users;
}

function bulkRows(context: WorkloadContext): NewPost[] {
  return extraPosts(context.sizes.bulkRows, context.dataset.users.length, 77, context.dataset.posts.length + 1);
}

const bulkCache = new WeakMap<WorkloadContext, NewPost[]>();

function cachedBulkRows(context: WorkloadContext): NewPost[] {
  let rows = bulkCache.get(context);

  if (!rows) {
    rows = bulkRows(context);
    bulkCache.set(context, rows);
  }

  return rows;
}

const RSS_SAMPLE_EVERY = 1000;

export const WORKLOADS: readonly Workload[] = [
  {
    id: "pk-lookup",
    title: "Primary-key lookup",
    unit: (sizes) => `${sizes.lookupsPerOperation} lookups by id`,
    heavy: false,
    async run(contender, context, round) {
      const found: PostLike[] = [];

      for (const id of lookupIds(context, round)) {
        found.push(await contender.getPost(id));
      }

      return { value: found };
    },
    async verify(output, context, round) {
      const found = output.value as PostLike[];
      const ids = lookupIds(context, round);
      expectEqual("ids", ids, found.map((post) => Number(post.id)));
      expectEqual("checksum", sumChecksums(ids.map((id) => context.dataset.posts[id - 1]!)), sumChecksums(found));
    },
  },
  {
    id: "filtered-list",
    short: true,
    title: "Filtered list",
    unit: (sizes) => `views > ${sizes.minViews}, newest first, limit ${sizes.listLimit}`,
    heavy: false,
    async run(contender, context) {
      return { value: await contender.listPopular(context.sizes.minViews, context.sizes.listLimit) };
    },
    async verify(output, context) {
      const found = output.value as PostLike[];
      const expected = expectedPopular(context.dataset.posts, context.sizes.minViews, context.sizes.listLimit);
      expectEqual("ids in order", expected.map((post) => post.id), found.map((post) => Number(post.id)));
      expectEqual("checksum", sumChecksums(expected), sumChecksums(found));
    },
  },
  {
    id: "hydrate-all",
    title: "Hydrate all posts",
    unit: () => "every post as an object",
    heavy: false,
    async run(contender) {
      return { value: await contender.allPosts() };
    },
    async verify(output, context) {
      const found = output.value as PostLike[];
      expectEqual("row count", context.dataset.posts.length, found.length);
      expectEqual("checksum", sumChecksums(context.dataset.posts), sumChecksums(found));
    },
  },
  {
    id: "eager-load",
    short: true,
    title: "Eager load",
    unit: (sizes) => `${sizes.eagerLimit} posts with author and tags`,
    heavy: false,
    async run(contender, context) {
      return { value: await contender.eagerPosts(context.sizes.eagerLimit) };
    },
    async verify(output, context) {
      const found = output.value as EagerPost[];
      const { posts, users, tags, postTags } = context.dataset;
      const expected = posts.slice(0, context.sizes.eagerLimit).map((post) => ({
        id: post.id,
        author: users[post.authorId - 1]!.username,
        tags: postTags.filter(([postId]) => postId === post.id).map(([, tagId]) => tags[tagId - 1]!.name),
      }));
      const actual = found.map((post) => ({
        id: Number(post.id),
        author: post.author.username,
        tags: [...post.tags].sort((a, b) => Number(a.id) - Number(b.id)).map((tag) => tag.name),
      }));
      expectEqual("posts with author and tags", expected, actual);
    },
  },
  {
    id: "bulk-insert",
    title: "Bulk insert",
    unit: (sizes) => `${sizes.bulkRows} rows`,
    heavy: true,
    async prepare(context) {
      cachedBulkRows(context);
    },
    async run(contender, context) {
      await contender.insertPosts(cachedBulkRows(context));

      return { value: undefined };
    },
    async verify(_output, context) {
      const rows = cachedBulkRows(context);
      const [stats] = await context.admin.query("SELECT count(*) AS n, sum(views) AS views FROM posts WHERE id > ?", [context.dataset.posts.length]);
      expectEqual("inserted rows and their total views", [rows.length, rows.reduce((sum, row) => sum + row.views, 0)], [Number(stats!.n), Number(stats!.views)]);
    },
    async reset(context) {
      await context.admin.query("DELETE FROM posts WHERE id > ?", [context.dataset.posts.length]);
    },
  },
  {
    id: "update-filter",
    short: true,
    title: "Update by filter",
    unit: () => "views = views + 1 for one author's posts",
    heavy: false,
    async run(contender, context, round) {
      return { value: await contender.bumpViews(bumpedAuthor(context, round)) };
    },
    async verify(output, context, round) {
      const authorId = bumpedAuthor(context, round);
      const posts = context.dataset.posts.filter((post) => post.authorId === authorId);
      expectEqual("matched rows", posts.length, Number(output.value));
      const [stats] = await context.admin.query("SELECT sum(views) AS views FROM posts WHERE author_id = ?", [authorId]);
      expectEqual("total views after the update", posts.reduce((sum, post) => sum + post.views + 1, 0), Number(stats!.views));
    },
    async reset(context, round) {
      await context.admin.query("UPDATE posts SET views = views - 1 WHERE author_id = ?", [bumpedAuthor(context, round)]);
    },
  },
  {
    id: "aggregate",
    title: "Aggregate",
    unit: () => "posts and total views per author, top 10",
    heavy: false,
    async run(contender) {
      return { value: await contender.topAuthors(10) };
    },
    async verify(output, context) {
      expectEqual("top authors", expectedTopAuthors(context.dataset.posts, 10), normalizeTotals(output.value as never));
    },
  },
  {
    id: "stream",
    title: "Stream",
    unit: (sizes) => `${sizes.streamRows} rows with bounded memory`,
    heavy: true,
    async prepare(context) {
      const seeded = context.dataset.posts.length;
      const extra = Math.max(0, context.sizes.streamRows - seeded);
      // Explicit ids, because the bulk-insert workload has already moved
      // the PostgreSQL and MySQL id counters past seeded + 1.
      const rows = extraPosts(extra, context.dataset.users.length, 99, seeded + 1).map((row, index) => ({ ...row, id: seeded + 1 + index }));

      for (let start = 0; start < rows.length; start += 10_000) {
        await context.admin.insertPosts(rows.slice(start, start + 10_000));
      }

      context.streamChecksum = sumChecksums(context.dataset.posts) + sumChecksums(rows);
    },
    async run(contender) {
      let count = 0;
      let checksum = 0;
      let lastId = 0;
      let ordered = true;
      let peakRssBytes = process.memoryUsage.rss();

      await contender.streamPosts((post) => {
        count += 1;
        checksum += postChecksum(post);
        ordered &&= Number(post.id) > lastId;
        lastId = Number(post.id);

        if (count % RSS_SAMPLE_EVERY === 0) {
          peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
        }
      });

      return { value: { count, checksum, ordered }, peakRssBytes: Math.max(peakRssBytes, process.memoryUsage.rss()) };
    },
    async verify(output, context) {
      expectEqual("rows, checksum and id order", { count: context.sizes.streamRows, checksum: context.streamChecksum, ordered: true }, output.value);
    },
    async finish(context) {
      await context.admin.query("DELETE FROM posts WHERE id > ?", [context.dataset.posts.length]);
    },
  },
];

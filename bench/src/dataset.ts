/**
 * The deterministic data set every contender reads, and the checksums the
 * workloads compare results against. Expected values come from this data,
 * not from a query, so the raw driver is checked too.
 */
import type { AuthorTotals, NewPost, PostLike } from "./types.js";

export interface DatasetSize {
  users: number;
  posts: number;
  tags: number;
  tagsPerPost: number;
}

export interface UserRow {
  id: number;
  username: string;
  email: string;
}

export interface PostRow {
  id: number;
  title: string;
  body: string;
  views: number;
  publishedAt: Date;
  authorId: number;
}

export interface TagRow {
  id: number;
  name: string;
}

export interface Dataset {
  size: DatasetSize;
  users: UserRow[];
  posts: PostRow[];
  tags: TagRow[];
  /** [postId, tagId] pairs, unique. */
  postTags: [number, number][];
}

const EPOCH = Date.UTC(2020, 0, 1);
const WORDS = ["orm", "query", "index", "join", "table", "row", "schema", "cursor", "commit", "lock", "plan", "cache"];

/** mulberry32: a small seeded generator, so every run builds the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(random: () => number, words: number): string {
  const parts: string[] = [];

  for (let index = 0; index < words; index += 1) {
    parts.push(WORDS[Math.floor(random() * WORDS.length)]!);
  }

  return parts.join(" ");
}

/**
 * Builds post number `index` (1-based). `publishedAt` is distinct for every
 * index below 1,000,003 (a prime), so "newest first" has no ties.
 */
export function makePost(index: number, users: number, random: () => number): Omit<PostRow, "id"> {
  const minutes = (index * 7919) % 1_000_003;

  return {
    title: `Post ${index}: ${sentence(random, 1 + Math.floor(random() * 6))}`,
    body: sentence(random, 20 + Math.floor(random() * 40)),
    views: Math.floor(random() * 100_000),
    publishedAt: new Date(EPOCH + minutes * 60_000 + (index % 1000)),
    authorId: 1 + Math.floor(random() * users),
  };
}

export function buildDataset(size: DatasetSize): Dataset {
  const random = seededRandom(20240601);
  const users: UserRow[] = [];
  const posts: PostRow[] = [];
  const tags: TagRow[] = [];
  const postTags: [number, number][] = [];

  for (let id = 1; id <= size.users; id += 1) {
    users.push({ id, username: `user${id}`, email: `user${id}@example.com` });
  }

  for (let id = 1; id <= size.tags; id += 1) {
    tags.push({ id, name: `tag-${id}` });
  }

  for (let id = 1; id <= size.posts; id += 1) {
    posts.push({ id, ...makePost(id, size.users, random) });
    const chosen = new Set<number>();

    for (let attempt = 0; chosen.size < Math.min(size.tagsPerPost, size.tags) && attempt < 100; attempt += 1) {
      chosen.add(1 + Math.floor(random() * size.tags));
    }

    for (const tagId of [...chosen].sort((a, b) => a - b)) {
      postTags.push([id, tagId]);
    }
  }

  return { size, users, posts, tags, postTags };
}

/** Rows for the bulk-insert and stream workloads, after the seeded posts. */
export function extraPosts(count: number, users: number, seed: number, firstIndex: number): NewPost[] {
  const random = seededRandom(seed);
  const rows: NewPost[] = [];

  for (let offset = 0; offset < count; offset += 1) {
    rows.push(makePost(firstIndex + offset, users, random));
  }

  return rows;
}

/** Milliseconds since the epoch of a Date, a number, or ISO-like text (read as UTC without an offset). */
export function timestampMs(value: Date | string | number): number {
  if (value instanceof Date) {
    return value.getTime();
  }

  if (typeof value === "number") {
    return value;
  }

  const text = value.includes("T") ? value : value.replace(" ", "T");
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`;

  return Date.parse(zoned);
}

/**
 * An order-insensitive checksum term for one post. It reads every column,
 * so a contender that skips or mangles one (a shifted time zone, a
 * truncated body) fails the check.
 */
export function postChecksum(post: Pick<PostLike, "id" | "title" | "body" | "views" | "publishedAt">): number {
  const seconds = Math.floor(timestampMs(post.publishedAt) / 1000) % 1_000_003;
  const millis = timestampMs(post.publishedAt) % 1000;

  return Number(post.id) * 7 + Number(post.views) * 3 + post.title.length * 11 + post.body.length + seconds + millis * 13;
}

export function sumChecksums(posts: Iterable<Pick<PostLike, "id" | "title" | "body" | "views" | "publishedAt">>): number {
  let total = 0;

  for (const post of posts) {
    total += postChecksum(post);
  }

  return total;
}

/** Expected answer of the filtered-list workload: ids newest first. */
export function expectedPopular(posts: readonly PostRow[], minViews: number, limit: number): PostRow[] {
  return posts
    .filter((post) => post.views > minViews)
    .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime())
    .slice(0, limit);
}

/** Expected answer of the aggregate workload, with totals as numbers. */
export function expectedTopAuthors(posts: readonly PostRow[], limit: number): { authorId: number; posts: number; views: number }[] {
  const totals = new Map<number, { authorId: number; posts: number; views: number }>();

  for (const post of posts) {
    const entry = totals.get(post.authorId) ?? { authorId: post.authorId, posts: 0, views: 0 };
    entry.posts += 1;
    entry.views += post.views;
    totals.set(post.authorId, entry);
  }

  return [...totals.values()].sort((a, b) => b.views - a.views || a.authorId - b.authorId).slice(0, limit);
}

export function normalizeTotals(rows: readonly AuthorTotals[]): { authorId: number; posts: number; views: number }[] {
  return rows.map((row) => ({ authorId: Number(row.authorId), posts: Number(row.posts), views: Number(row.views) }));
}

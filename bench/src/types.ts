/** Shapes shared by the harness, the workloads and every contender. */

export type DatabaseName = "sqlite" | "postgres" | "mysql";

export const DATABASE_NAMES: readonly DatabaseName[] = ["sqlite", "postgres", "mysql"];

/** A post as a contender returns it. Query builders may return the timestamp as text. */
export interface PostLike {
  id: number;
  title: string;
  body: string;
  views: number;
  publishedAt: Date | string | number;
}

/** A post with its author and tags, from the eager-load workload. */
export interface EagerPost {
  id: number;
  author: { id: number; username: string };
  tags: readonly { id: number; name: string }[];
}

/** One row of the aggregate workload. Drivers may return counts and sums as text or bigint. */
export interface AuthorTotals {
  authorId: number | string;
  posts: number | string | bigint;
  views: number | string | bigint;
}

/** A post to insert; the database assigns the id. */
export interface NewPost {
  title: string;
  body: string;
  views: number;
  publishedAt: Date;
  authorId: number;
}

/**
 * One library under test, connected to one database. Every method does
 * the whole job its workload names, so a contender cannot skip work that
 * another one does; the harness checks each result.
 */
export interface Contender {
  readonly name: string;
  /** Loads one post by primary key. */
  getPost(id: number): Promise<PostLike>;
  /** Posts with more than `minViews` views, newest first, at most `limit`. */
  listPopular(minViews: number, limit: number): Promise<PostLike[]>;
  /** Every post, hydrated as the library's object type. */
  allPosts(): Promise<PostLike[]>;
  /** The first `limit` posts by id, each with its author and tags loaded. */
  eagerPosts(limit: number): Promise<EagerPost[]>;
  /** Inserts the rows in one bulk operation (the library may chunk it). */
  insertPosts(rows: readonly NewPost[]): Promise<void>;
  /** Runs `views = views + 1` on every post of one author; returns the matched row count. */
  bumpViews(authorId: number): Promise<number>;
  /** Post count and total views per author, highest total first (ties by author id). */
  topAuthors(limit: number): Promise<AuthorTotals[]>;
  /** Reads every post in id order with bounded memory, calling `onPost` for each. */
  streamPosts(onPost: (post: PostLike) => void): Promise<void>;
  close(): Promise<void>;
}

/** Connection details for one benchmark database, created by the harness. */
export interface Target {
  database: DatabaseName;
  /** SQLite file path, or a postgres:// or mysql:// URL including the database name. */
  location: string;
  /** Batch size for contenders that page through the stream workload. */
  streamBatchSize: number;
}

/** Raised by a contender for a workload it cannot run yet or at all. */
export class NotAvailableError extends Error {
  constructor(
    message: string,
    readonly status: "pending" | "unsupported",
  ) {
    super(message);
    this.name = "NotAvailableError";
  }
}

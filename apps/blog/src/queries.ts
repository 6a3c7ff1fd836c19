/** The blog's read queries, shared by the HTTP API and the startup report. */
import { Paginator, Q, SearchRank, type Database, type FieldsOf, type Page, type QuerySet } from "@chakra-orm/core";
import { Post } from "./models.js";

export interface ListOptions {
  page: number;
  pageSize: number;
  /** Words to find with full-text search; results come best match first. */
  search?: string;
  /** Case-insensitive text to find in the title or the body; `%` and `_` match literally. */
  contains?: string;
  /** Only posts with this tag name. */
  tag?: string;
}

/** Questions that are not soft-deleted, with the filters of `options`, newest first. */
export function questionsQuery(options: Omit<ListOptions, "page" | "pageSize">): QuerySet<Post> {
  let query = Post.active().filter({ postType: "question" });

  if (options.contains) {
    query = query.filter(
      Q.or<FieldsOf<Post>>({ title__icontains: options.contains }, { body__icontains: options.contains }),
    );
  }

  if (options.tag !== undefined) {
    query = query.filter({ tags__name: options.tag });
  }

  query = query.selectRelated("author").prefetchRelated("tags");

  if (options.search) {
    // Each dialect's own index: a weighted tsvector on PostgreSQL, FULLTEXT
    // on MySQL and FTS5 on SQLite; the rank puts title matches first.
    return query
      .filter({ search__matches: options.search })
      .annotate({ rank: SearchRank(options.search) })
      .orderBy("-rank", "-createdAt", "-id") as unknown as QuerySet<Post>;
  }

  return query.orderBy("-createdAt", "-id");
}

/**
 * Returns one page of questions. Raises InvalidPageError when `page` is
 * past the last page; an empty result still has a page 1.
 */
export async function listQuestions(options: ListOptions): Promise<Page<Post>> {
  return new Paginator(questionsQuery(options), { pageSize: options.pageSize }).page(options.page);
}

export interface TagCount {
  name: string;
  questionCount: number;
}

/**
 * Tags by the number of questions that use them, not counting soft-deleted
 * questions. Raw SQL because QuerySets have no GROUP BY yet.
 */
export async function topTags(db: Database, limit: number): Promise<TagCount[]> {
  const rows = await db.sql<{ name: string; question_count: number | string | bigint }>`
    select t.name as name, count(*) as question_count
    from tags t
    join post_tags pt on pt.tag_id = t.id
    join posts p on p.id = pt.post_id
    where p.post_type = ${"question"} and p.deleted_at is null
    group by t.id, t.name
    order by question_count desc, t.name
    limit ${limit}`;

  return rows.map((row) => ({ name: row.name, questionCount: Number(row.question_count) }));
}

export interface CommentedPost {
  id: number;
  type: string;
  /** The post's title, or its question's title for an answer. */
  title: string | null;
  commentCount: number;
}

/** Posts by the number of comments they have, not counting soft-deleted posts or comments. */
export async function mostCommentedPosts(db: Database, limit: number): Promise<CommentedPost[]> {
  const rows = await db.sql<{
    id: number | string;
    post_type: string;
    title: string | null;
    comment_count: number | string | bigint;
  }>`
    select p.id as id, p.post_type as post_type, coalesce(p.title, q.title) as title,
      count(*) as comment_count
    from posts p
    join comments c on c.post_id = p.id
    left join posts q on q.id = p.parent_id
    where p.deleted_at is null and c.deleted_at is null
    group by p.id, p.post_type, p.title, q.title
    order by comment_count desc, p.id
    limit ${limit}`;

  return rows.map((row) => ({
    id: Number(row.id),
    type: row.post_type,
    title: row.title,
    commentCount: Number(row.comment_count),
  }));
}

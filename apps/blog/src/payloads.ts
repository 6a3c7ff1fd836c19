/**
 * JSON shapes of the API. Every post and comment carries its attribution:
 * the author's name and, for imported rows, a link back to Stack Exchange,
 * as the dataset's CC BY-SA license requires.
 */
import type { Comment, Post, Tag, User } from "./models.js";

export const SITE_URL = "https://conlang.meta.stackexchange.com";

export const ATTRIBUTION =
  "Data from Constructed Languages Meta Stack Exchange (https://conlang.meta.stackexchange.com), " +
  "written by its users and published by Stack Exchange, Inc. in the Stack Exchange Data Dump " +
  "under CC BY-SA 3.0 / 4.0; converted to CSV, with the changes listed in data/README.md.";

/** Length of `excerpt` in listings, in characters. */
const EXCERPT_LENGTH = 200;

export interface Attribution {
  author: string | null;
  authorUrl: string | null;
  /** The post or comment on Stack Exchange; null for rows written through this API. */
  url: string | null;
  license: string;
}

export function userUrl(user: User): string | null {
  return user.origin === "stackexchange" ? `${SITE_URL}/users/${user.id}` : null;
}

function postUrl(post: Post): string | null {
  if (post.origin !== "stackexchange") {
    return null;
  }

  return post.postType === "answer" ? `${SITE_URL}/a/${post.id}` : `${SITE_URL}/q/${post.id}`;
}

/** Turns HTML into plain text, roughly, for excerpts. */
function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

function excerptOf(html: string): string {
  const text = plainText(html);

  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1)}…` : text;
}

export function userSummary(user: User | null) {
  return user ? { id: user.id, displayName: user.displayName, url: userUrl(user) } : null;
}

/** A post's attribution; `author` must be loaded (selectRelated or prefetchRelated). */
export function postAttribution(post: Post): Attribution {
  const author = post.author;

  return {
    author: author?.displayName ?? post.authorName,
    authorUrl: author ? userUrl(author) : null,
    url: postUrl(post),
    license: post.contentLicense,
  };
}

function commentAttribution(comment: Comment): Attribution {
  const user = comment.user;

  return {
    author: user?.displayName ?? comment.userName,
    authorUrl: user ? userUrl(user) : null,
    url: comment.origin === "stackexchange" ? `${SITE_URL}/posts/comments/${comment.id}` : null,
    license: comment.contentLicense,
  };
}

/** Builds a listing entry, with an excerpt instead of the body. Needs `author` and `tags` loaded. */
export function postSummary(post: Post) {
  return {
    id: post.id,
    type: post.postType,
    title: post.title,
    excerpt: excerptOf(post.body),
    score: post.score,
    viewCount: post.viewCount,
    createdAt: post.createdAt.toISOString(),
    author: userSummary(post.author),
    tags: (post.tags.toArray() as Tag[]).map((tag) => tag.name),
    attribution: postAttribution(post),
  };
}

/** Builds a post with its HTML body. Needs `author` loaded, and `tags` too unless `tags` is passed. */
export function postDetail(post: Post, tags?: readonly string[]) {
  return {
    id: post.id,
    type: post.postType,
    parentId: post.parentId,
    acceptedAnswerId: post.acceptedAnswerId,
    title: post.title,
    body: post.body,
    score: post.score,
    viewCount: post.viewCount,
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
    closedAt: post.closedAt?.toISOString() ?? null,
    author: userSummary(post.author),
    tags: tags ?? (post.tags.toArray() as Tag[]).map((tag) => tag.name),
    attribution: postAttribution(post),
  };
}

/** Builds a comment's payload. Needs `user` loaded. */
export function commentPayload(comment: Comment) {
  return {
    id: comment.id,
    postId: comment.postId,
    text: comment.text,
    score: comment.score,
    createdAt: comment.createdAt.toISOString(),
    user: userSummary(comment.user),
    attribution: commentAttribution(comment),
  };
}

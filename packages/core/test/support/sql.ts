/** Column lists of the shared models, so expected SQL stays readable. */
export const USER_COLUMNS =
  '"users"."id", "users"."username", "users"."email", "users"."bio", "users"."joined_at"';

export const POST_COLUMNS =
  '"posts"."id", "posts"."title", "posts"."body", "posts"."views", "posts"."published", ' +
  '"posts"."published_at", "posts"."rating", "posts"."price", "posts"."metadata", ' +
  '"posts"."status", "posts"."author_id", "posts"."editor_id"';

export const COMMENT_COLUMNS =
  '"comments"."id", "comments"."post_id", "comments"."author_id", "comments"."text"';

export const SELECT_USERS = `select ${USER_COLUMNS} from "users"`;
export const SELECT_POSTS = `select ${POST_COLUMNS} from "posts"`;
export const SELECT_COMMENTS = `select ${COMMENT_COLUMNS} from "comments"`;

/** The default ordering of Post, `["-publishedAt", "id"]`. */
export const POST_ORDER = ' order by "posts"."published_at" desc, "posts"."id"';

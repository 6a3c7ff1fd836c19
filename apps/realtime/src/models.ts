/**
 * The feed's models. Users and posts keep their dataset ids, so links back
 * to the site stay valid. Comments, votes and badges get new ids when they
 * enter the feed, and keep the dataset's id in `sourceId`.
 */
import { Model, field, manager, type ModelClass } from "@chakra-orm/core";

export class User extends Model.define("users", {
  id: field.id(),
  displayName: field.string({ maxLength: 40 }),
  reputation: field.integer({ default: 1 }),
}) {
  static objects = manager(this);
}

/** Values of `Post.postType`, numbered 1, 2, 4 and 5 in the dataset. */
export const POST_TYPES = [
  "question",
  "answer",
  "tagWikiExcerpt",
  "tagWiki",
] as const;

export type PostType = (typeof POST_TYPES)[number];

/** A question or an answer; an answer's `parent` is its question. */
export class Post extends Model.define("posts", {
  id: field.id(),
  postType: field.enum(POST_TYPES),
  // NOTE: TypeScript cannot infer a class's type from its own base expression, so `parent` is typed as a plain Model.
  parent: field.foreignKey((): ModelClass => Post, {
    nullable: true,
    onDelete: "cascade",
  }),
  author: field.foreignKey(() => User, { nullable: true, onDelete: "setNull" }),
  /** The author's name as the dataset recorded it when the account is gone. */
  authorName: field.string({ maxLength: 40, nullable: true }),
  title: field.string({ maxLength: 250, nullable: true }),
  createdAt: field.dateTime(),
}) {
  static objects = manager(this);
}

export class Comment extends Model.define(
  "comments",
  {
    id: field.id(),
    /** The dataset's comment id, or null for a comment made through the API. */
    sourceId: field.integer({ nullable: true, unique: true }),
    post: field.foreignKey(() => Post, { onDelete: "cascade" }),
    user: field.foreignKey(() => User, { nullable: true, onDelete: "setNull" }),
    /** The commenter's name when there is no user row (deleted account, or a guest of the API). */
    userName: field.string({ maxLength: 40, nullable: true }),
    score: field.integer({ default: 0 }),
    text: field.text(),
    contentLicense: field.string({ maxLength: 20, default: "CC BY-SA 4.0" }),
    /** When the comment was written, on the site or through the API. */
    createdAt: field.dateTime({ default: () => new Date() }),
    /** When the comment entered this feed. */
    publishedAt: field.dateTime({ default: () => new Date() }),
  },
  { indexes: [{ fields: ["publishedAt"] }] },
) {
  static objects = manager(this);
}

/** Values of `Vote.voteType`. */
export const VOTE_TYPES = [
  "accepted",
  "up",
  "down",
  "favorite",
  "undeletion",
  "moderatorReview",
  "editApproval",
] as const;

export type VoteType = (typeof VOTE_TYPES)[number];

/** The dataset's vote_type_id values and their names. */
export const VOTE_TYPE_IDS: Record<number, VoteType> = {
  1: "accepted",
  2: "up",
  3: "down",
  5: "favorite",
  11: "undeletion",
  15: "moderatorReview",
  16: "editApproval",
};

export class Vote extends Model.define(
  "votes",
  {
    id: field.id(),
    sourceId: field.integer({ nullable: true, unique: true }),
    post: field.foreignKey(() => Post, { onDelete: "cascade" }),
    voteType: field.enum(VOTE_TYPES),
    /** The day of the vote; the dataset records no time for votes. */
    votedOn: field.date(),
    publishedAt: field.dateTime({ default: () => new Date() }),
  },
  { indexes: [{ fields: ["publishedAt"] }] },
) {
  static objects = manager(this);
}

/** Badge classes, numbered 1 to 3 in the dataset. */
export const BADGE_CLASSES = ["gold", "silver", "bronze"] as const;

export type BadgeClass = (typeof BADGE_CLASSES)[number];

export class Badge extends Model.define(
  "badges",
  {
    id: field.id(),
    sourceId: field.integer({ nullable: true, unique: true }),
    user: field.foreignKey(() => User, { onDelete: "cascade" }),
    name: field.string({ maxLength: 50 }),
    badgeClass: field.enum(BADGE_CLASSES),
    /** True for a badge earned in one tag, in which case `name` is the tag. */
    tagBased: field.boolean({ default: false }),
    awardedAt: field.dateTime(),
    publishedAt: field.dateTime({ default: () => new Date() }),
  },
  { indexes: [{ fields: ["publishedAt"] }] },
) {
  static objects = manager(this);
}

/** Models whose changes the feed publishes. */
export const FEED_MODELS = {
  comment: Comment,
  vote: Vote,
  badge: Badge,
} as const;

export type FeedModelName = keyof typeof FEED_MODELS;

/** Every model of the app, parents before children. */
export const MODELS = [User, Post, Comment, Vote, Badge] as const;

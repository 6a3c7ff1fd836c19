/**
 * The blog's models. Rows imported from the Stack Exchange dataset keep
 * their original ids, so links back to the site stay valid.
 *
 * Relations are typed from the child side only (`Post.author`, `Post.tags`,
 * `Comment.post`). A relation in the other direction, or one that closes a
 * cycle, uses a thunk typed `(): ModelClass`: TypeScript rejects two model
 * classes whose base expressions infer each other's types (TS2506).
 */
import { Model, field, manager, type ModelClass, type QuerySet } from "@chakra-orm/core";

/** A row that is hidden by setting `deletedAt` instead of being deleted. */
export const SoftDelete = Model.abstract(
  { deletedAt: field.dateTime({ nullable: true }) },
  (Base) =>
    class extends Base {
      get isDeleted(): boolean {
        return this.deletedAt !== null;
      }

      /** Sets `deletedAt` to now and saves only that column (plus onUpdate fields). */
      async softDelete(): Promise<this> {
        this.deletedAt = new Date();
        await this.save({ fields: ["deletedAt"] });

        return this;
      }

      /** Rows that are not soft-deleted. */
      static active<M extends Model>(this: { objects: QuerySet<M> }): QuerySet<M> {
        return this.objects.filter({ deletedAt__isnull: true } as never);
      }
    },
);

/** Creation and update times, plus the ids of the users who made them. */
export const Audit = Model.abstract({
  createdAt: field.dateTime({ default: () => new Date() }),
  createdBy: field.integer({ nullable: true }),
  updatedAt: field.dateTime({ default: () => new Date(), onUpdate: () => new Date() }),
  updatedBy: field.integer({ nullable: true }),
});

/** Origin of a row: the imported dataset or this blog's API. */
export const ORIGINS = ["stackexchange", "blog"] as const;

export type Origin = (typeof ORIGINS)[number];

export class User extends Model.define(
  "users",
  {
    id: field.id(),
    displayName: field.string({ maxLength: 40 }),
    reputation: field.integer({ default: 1 }),
    location: field.string({ maxLength: 100, nullable: true }),
    websiteUrl: field.string({ maxLength: 200, nullable: true }),
    /** Profile text as HTML. */
    aboutMe: field.text({ nullable: true }),
    profileImageUrl: field.string({ maxLength: 200, nullable: true }),
    views: field.integer({ default: 0 }),
    upVotes: field.integer({ default: 0 }),
    downVotes: field.integer({ default: 0 }),
    /** The Stack Exchange network account id. */
    accountId: field.integer({ nullable: true }),
    lastAccessAt: field.dateTime({ default: () => new Date() }),
    origin: field.enum(ORIGINS, { default: "blog" }),
    posts: field.reverse((): ModelClass => Post, "author"),
  },
  [SoftDelete, Audit],
) {
  static objects = manager(this);
}

/** Values of `Post.postType`, numbered 1, 2, 4 and 5 in the dataset. */
export const POST_TYPES = ["question", "answer", "tagWikiExcerpt", "tagWiki"] as const;

export type PostType = (typeof POST_TYPES)[number];

/** A question or an answer (an answer points at its question through `parent`). */
export class Post extends Model.define(
  "posts",
  {
    id: field.id(),
    postType: field.enum(POST_TYPES),
    // NOTE: TypeScript cannot infer a class's type from its own base
    // expression, so the self-references are typed as plain models: `parent`
    // and `answers` hold `Model`, and `parent__title` lookups go unchecked.
    parent: field.foreignKey((): ModelClass => Post, {
      nullable: true,
      onDelete: "cascade",
      relatedName: "answers",
    }),
    acceptedAnswer: field.foreignKey((): ModelClass => Post, {
      nullable: true,
      onDelete: "setNull",
    }),
    author: field.foreignKey(() => User, {
      nullable: true,
      onDelete: "setNull",
      relatedName: "posts",
    }),
    /** The author's name as the dataset recorded it when the account is gone. */
    authorName: field.string({ maxLength: 40, nullable: true }),
    title: field.string({ maxLength: 250, nullable: true }),
    /** HTML, as Stack Exchange renders it. */
    body: field.text(),
    score: field.integer({ default: 0 }),
    viewCount: field.integer({ nullable: true }),
    lastActivityAt: field.dateTime({ default: () => new Date() }),
    closedAt: field.dateTime({ nullable: true }),
    contentLicense: field.string({ maxLength: 20, default: "CC BY-SA 4.0" }),
    origin: field.enum(ORIGINS, { default: "blog" }),
    tags: field.manyToMany(() => Tag, { relatedName: "posts", through: (): ModelClass => PostTag }),
    answers: field.reverse((): ModelClass => Post, "parent"),
    comments: field.reverse((): ModelClass => Comment, "post"),
    /** Full-text search over the title (weighted higher) and the body. */
    search: field.search({ fields: { title: "A", body: "B" }, language: "english" }),
  },
  [SoftDelete, Audit],
  { indexes: [{ fields: ["postType", "createdAt"] }] },
) {
  static objects = manager(this);
}

export class Comment extends Model.define(
  "comments",
  {
    id: field.id(),
    post: field.foreignKey(() => Post, { onDelete: "cascade", relatedName: "comments" }),
    user: field.foreignKey(() => User, {
      nullable: true,
      onDelete: "setNull",
      relatedName: "comments",
    }),
    /** The commenter's name as the dataset recorded it when the account is gone. */
    userName: field.string({ maxLength: 40, nullable: true }),
    score: field.integer({ default: 0 }),
    text: field.text(),
    contentLicense: field.string({ maxLength: 20, default: "CC BY-SA 4.0" }),
    origin: field.enum(ORIGINS, { default: "blog" }),
  },
  [SoftDelete, Audit],
) {
  static objects = manager(this);
}

export class Tag extends Model.define("tags", {
  id: field.id(),
  name: field.string({ maxLength: 35, unique: true }),
  excerptPost: field.foreignKey((): ModelClass => Post, { nullable: true, onDelete: "setNull" }),
  wikiPost: field.foreignKey((): ModelClass => Post, { nullable: true, onDelete: "setNull" }),
  posts: field.reverse((): ModelClass => Post, "tags"),
}) {
  static objects = manager(this);
}

/** The link between a post and a tag (the dataset's post_tags table). */
export class PostTag extends Model.define(
  "post_tags",
  {
    id: field.id(),
    post: field.foreignKey(() => Post, { onDelete: "cascade" }),
    tag: field.foreignKey(() => Tag, { onDelete: "cascade" }),
  },
  { uniqueTogether: [["post", "tag"]] },
) {
  static objects = manager(this);
}

/** Every model of the blog, parents before children. */
export const MODELS = [User, Post, Tag, PostTag, Comment] as const;

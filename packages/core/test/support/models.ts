/**
 * A small blog schema shared by core's unit tests: users, posts, tags and
 * comments, with every relation kind, plus tables named after SQL reserved
 * words.
 */
import { Model, field, manager, type ModelClass } from "../../src/index.js";

export class User extends Model.define("users", {
  id: field.id(),
  username: field.string({ maxLength: 50, unique: true }),
  email: field.string({ maxLength: 254 }),
  bio: field.text({ nullable: true }),
  joinedAt: field.dateTime({ default: () => new Date() }),
  posts: field.reverse((): ModelClass<Post> => Post, "author"),
}) {
  static objects = manager(this);

  get handle(): string {
    return `@${this.username}`;
  }
}

export class Tag extends Model.define("tags", {
  id: field.id(),
  name: field.string({ maxLength: 40 }),
  slug: field.string({ maxLength: 40, unique: true }),
  posts: field.reverse((): ModelClass<Post> => Post, "tags"),
}) {
  static objects = manager(this);
}

export class Post extends Model.define(
  "posts",
  {
    id: field.id(),
    title: field.string({ maxLength: 200 }),
    body: field.text({ default: "" }),
    views: field.integer({ default: 0 }),
    published: field.boolean({ default: false }),
    publishedAt: field.dateTime({ nullable: true }),
    rating: field.float({ nullable: true }),
    price: field.decimal({ precision: 10, scale: 2, nullable: true }),
    metadata: field.json<{ color?: string }>({ nullable: true }),
    status: field.enum(["draft", "live"], { default: "draft" }),
    author: field.foreignKey(() => User, { onDelete: "cascade" }),
    editor: field.foreignKey(() => User, {
      nullable: true,
      onDelete: "setNull",
      relatedName: "editedPosts",
    }),
    tags: field.manyToMany(() => Tag),
    comments: field.reverse((): ModelClass<Comment> => Comment, "post"),
  },
  { ordering: ["-publishedAt", "id"] },
) {
  static objects = manager(this);
}

export class Comment extends Model.define("comments", {
  id: field.id(),
  post: field.foreignKey(() => Post, { onDelete: "cascade" }),
  author: field.foreignKey(() => User, { nullable: true, onDelete: "setNull" }),
  text: field.text(),
}) {
  static objects = manager(this);
}

/** A table and columns named with reserved words, and a column with a quote in its name. */
export class Order extends Model.define(
  "order",
  {
    id: field.id(),
    group: field.string({ maxLength: 20 }),
    user: field.foreignKey(() => User, { column: "user", onDelete: "restrict" }),
    odd: field.integer({ column: 'we"ird', nullable: true }),
  },
  { uniqueTogether: [["group", "user"]] },
) {
  static objects = manager(this);
}

/** The schema every conformance file uses: a small blog plus edge cases. */
import { Model, QuerySet, field, manager, type Database, type ModelClass } from "@chakra-orm/core";

export const Timestamped = Model.abstract(
  {
    createdAt: field.dateTime({ default: () => new Date() }),
    updatedAt: field.dateTime({ default: () => new Date(), onUpdate: () => new Date() }),
  },
  (Base) =>
    class extends Base {
      get ageMs(): number {
        return Date.now() - this.createdAt.getTime();
      }
    },
);

export const SoftDelete = Model.abstract(
  { deletedAt: field.dateTime({ nullable: true }) },
  (Base) =>
    class extends Base {
      get isDeleted(): boolean {
        return this.deletedAt !== null;
      }

      /** Rows that are not soft-deleted. */
      static alive<C extends ModelClass<any>>(this: C): QuerySet<InstanceType<C>> {
        return new QuerySet<InstanceType<C>>(this).filter({ deletedAt__isnull: true } as never);
      }
    },
);

export class Author extends Model.define(
  "authors",
  {
    id: field.id(),
    username: field.string({ maxLength: 50, unique: true }),
    email: field.string({ maxLength: 254, nullable: true }),
    karma: field.integer({ default: 0 }),
    // Author and Post refer to each other, so one thunk names its return
    // type; TypeScript cannot infer a cycle of class base expressions.
    posts: field.reverse((): ModelClass<Post> => Post, "author"),
  },
  [Timestamped, SoftDelete],
  { ordering: ["username"] },
) {
  static objects = manager(this);

  get handle(): string {
    return `@${this.username}`;
  }
}

export class Profile extends Model.define("profiles", {
  id: field.id(),
  author: field.oneToOne(() => Author, { relatedName: "profile" }),
  bio: field.text({ default: "" }),
}) {
  static objects = manager(this);
}

export class Tag extends Model.define(
  "tags",
  {
    id: field.id(),
    name: field.string({ maxLength: 40, unique: true }),
  },
  { ordering: ["name"] },
) {
  static objects = manager(this);
}

export class Post extends Model.define(
  "posts",
  {
    id: field.id(),
    title: field.string({ maxLength: 200 }),
    body: field.text({ default: "" }),
    views: field.integer({ default: 0 }),
    rating: field.float({ nullable: true }),
    published: field.boolean({ default: false }),
    publishedAt: field.dateTime({ nullable: true }),
    author: field.foreignKey(() => Author, { onDelete: "cascade" }),
    editor: field.foreignKey(() => Author, { nullable: true, onDelete: "setNull", relatedName: "edited" }),
    tags: field.manyToMany(() => Tag, { relatedName: "posts" }),
    comments: field.reverse((): ModelClass<Comment> => Comment, "post"),
    meta: field.json<{ lang?: string; stars?: number; nested?: { deep?: string } }>({ nullable: true }),
  },
  { indexes: [{ fields: ["published", "publishedAt"] }] },
) {
  static objects = manager(this);
}

export class Comment extends Model.define("comments", {
  id: field.id(),
  post: field.foreignKey(() => Post, { relatedName: "comments" }),
  parent: field.foreignKey((): ModelClass<Comment> => Comment, { nullable: true, relatedName: "replies" }),
  author: field.foreignKey(() => Author, { nullable: true, onDelete: "setNull", relatedName: "comments" }),
  text: field.text(),
  score: field.integer({ default: 0 }),
}) {
  static objects = manager(this);
}

/** Table and columns named with SQL reserved words. */
export class Order extends Model.define(
  "order",
  {
    id: field.id(),
    group: field.string({ maxLength: 20 }),
    user: field.string({ maxLength: 20, column: "user" }),
    select: field.integer({ default: 0 }),
  },
  { uniqueTogether: [["group", "user"]], checks: [{ name: "order_select_non_negative", sql: (quote) => `${quote("select")} >= 0` }] },
) {
  static objects = manager(this);
}

/** One field of every kind, for round-trip checks. */
export class Sample extends Model.define("samples", {
  id: field.id(),
  label: field.string({ maxLength: 40 }),
  integer: field.integer({ nullable: true }),
  big: field.bigInteger({ nullable: true }),
  ratio: field.float({ nullable: true }),
  amount: field.decimal({ precision: 20, scale: 6, nullable: true }),
  name: field.string({ maxLength: 100, nullable: true }),
  note: field.text({ nullable: true }),
  flag: field.boolean({ nullable: true }),
  at: field.dateTime({ nullable: true }),
  day: field.date({ nullable: true }),
  clock: field.time({ nullable: true }),
  doc: field.json({ nullable: true }),
  uid: field.uuid({ nullable: true }),
  blob: field.binary({ nullable: true }),
  level: field.enum(["low", "mid", "high"] as const, { nullable: true }),
}) {
  static objects = manager(this);
}

/** Many-to-many through an explicit model that carries its own data. */
export class Membership extends Model.define(
  "memberships",
  {
    id: field.id(),
    author: field.foreignKey(() => Author),
    team: field.foreignKey((): ModelClass<Team> => Team),
    role: field.string({ maxLength: 20, default: "member" }),
  },
  { uniqueTogether: [["author", "team"]] },
) {
  static objects = manager(this);
}

export class Team extends Model.define("teams", {
  id: field.id(),
  name: field.string({ maxLength: 40 }),
  members: field.manyToMany(() => Author, { through: (): ModelClass<Membership> => Membership, relatedName: "teams" }),
}) {
  static objects = manager(this);
}

/** Removes every row, children first, so each test starts from empty tables. */
export async function clearTables(db: Database): Promise<void> {
  for (const model of [Membership, Team, Comment, Profile, Order, Sample]) {
    await model.objects.using(db).delete();
  }

  await Post.objects.using(db).delete();
  await Tag.objects.using(db).delete();
  await Author.objects.using(db).delete();
}

export interface BlogFixtures {
  ana: Author;
  bo: Author;
  cy: Author;
  orm: Tag;
  sql: Tag;
  misc: Tag;
  posts: Post[];
}

/** A small fixed data set: three authors, three tags, five posts, comments. */
export async function insertBlogFixtures(): Promise<BlogFixtures> {
  const [ana, bo, cy] = await Author.objects.bulkCreate([
    { username: "ana", email: "ana@example.com", karma: 10 },
    { username: "bo", email: null, karma: 5 },
    { username: "Çelik", email: "cy@example.com", karma: 0 },
  ]);
  const [orm, sqlTag, misc] = await Tag.objects.bulkCreate([{ name: "orm" }, { name: "sql" }, { name: "misc" }]);
  const posts = await Post.objects.bulkCreate([
    { title: "Hello ORM", views: 100, author: ana!, published: true, publishedAt: new Date("2024-03-05T10:00:00.000Z"), meta: { lang: "en", stars: 5 } },
    { title: "50% off: SQL_tricks", views: 50, author: ana!, published: true, publishedAt: new Date("2023-12-31T23:59:59.999Z"), meta: { lang: "de", stars: 3, nested: { deep: "x" } } },
    { title: "ÉCOLE straße", views: 7, author: bo!, editor: ana!, rating: 4.5, published: false, meta: null },
    { title: "Draft notes", views: 0, author: cy!, published: false },
    { title: "Why joins duplicate rows", views: 30, author: bo!, published: true, publishedAt: new Date("2024-01-15T00:00:00.000Z") },
  ]);
  await posts[0]!.tags.add(orm!, sqlTag!);
  await posts[1]!.tags.add(sqlTag!);
  await posts[4]!.tags.add(orm!, sqlTag!, misc!);
  await Comment.objects.bulkCreate([
    { post: posts[0]!, author: bo!, text: "Nice", score: 2 },
    { post: posts[0]!, author: cy!, text: "Agreed", score: 1 },
    { post: posts[0]!, author: bo!, text: "Again", score: 5 },
    { post: posts[4]!, author: ana!, text: "Indeed", score: 0 },
  ]);

  return { ana: ana!, bo: bo!, cy: cy!, orm: orm!, sql: sqlTag!, misc: misc!, posts };
}

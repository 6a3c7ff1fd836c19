/**
 * Compile-time checks of the typed query API. `tsc -p test-types` must
 * pass: each `@ts-expect-error` line has to fail to compile, and every
 * other line has to compile.
 */
import { Model, Q, field, manager, type ModelClass } from "../src/index.js";

class User extends Model.define("type_users", {
  id: field.id(),
  username: field.string({ maxLength: 50 }),
  bio: field.text({ nullable: true }),
  joinedAt: field.dateTime({ default: () => new Date() }),
  // A typed reverse side needs the annotated thunk: an inferred one makes a
  // circular base expression with Post's foreign key (TS2506).
  posts: field.reverse((): ModelClass<Post> => Post, "author"),
}) {
  static objects = manager(this);

  get handle(): string {
    return `@${this.username}`;
  }
}

class Post extends Model.define("type_posts", {
  id: field.id(),
  title: field.string({ maxLength: 200 }),
  views: field.integer({ default: 0 }),
  publishedAt: field.dateTime({ nullable: true }),
  meta: field.json<{ color?: string }>(),
  author: field.foreignKey(() => User),
}) {
  static objects = manager(this);
}

class Comment extends Model.define("type_comments", {
  id: field.id(),
  post: field.foreignKey(() => Post),
  text: field.text(),
}) {
  static objects = manager(this);
}

export async function validUsage(): Promise<void> {
  Post.objects.filter({ title__icontains: "a", views__gt: 1, id__in: [1, 2] });
  Post.objects.filter({ publishedAt__year: 2020, publishedAt__isnull: true, publishedAt: null });
  Post.objects.filter({ views__range: [1, 2], author__username__istartswith: "an" });
  Comment.objects.filter({ post__author__username__istartswith: "an" });
  Post.objects.exclude(Q.or({ title__icontains: "draft" }, { publishedAt__isnull: false }));
  Post.objects.orderBy("-publishedAt", "id", "author__username");
  User.objects.filter({ posts__title: "x" });
  Post.objects.filter({ meta__color: "red", meta__color__icontains: "re" });

  const rows = await Post.objects.values("title", "author__username");
  const title: string = rows[0]!.title;
  const username: string = rows[0]!.author__username;
  void title;
  void username;

  const post = await Post.objects.create({ title: "t", authorId: 1, meta: {} });
  const published: Date | null = post.publishedAt;
  const views: number = post.views;
  void published;
  void views;

  const user = await User.objects.first();
  const handle: string | undefined = user?.handle;
  const bio: string | null | undefined = user?.bio;
  void handle;
  void bio;
}

export async function invalidUsage(): Promise<void> {
  // @ts-expect-error misspelled field
  Post.objects.filter({ titel: "x" });
  // @ts-expect-error misspelled lookup
  Post.objects.filter({ title__icontain: "x" });
  // @ts-expect-error gt on an integer takes a number
  Post.objects.filter({ views__gt: "x" });
  // @ts-expect-error in takes an array
  Post.objects.filter({ id__in: 5 });
  // @ts-expect-error year takes a number
  Post.objects.filter({ publishedAt__year: "2020" });
  // @ts-expect-error isnull takes a boolean
  Post.objects.filter({ publishedAt__isnull: 1 });
  // @ts-expect-error date part on a string field
  Post.objects.filter({ title__year: 2020 });
  // @ts-expect-error misspelled ordering key
  Post.objects.orderBy("-publishedAtt");
  // @ts-expect-error unknown values() path
  await Post.objects.values("author__nope");
  // @ts-expect-error create() without the required title
  await Post.objects.create({ authorId: 1, meta: {} });
  // @ts-expect-error misspelled field two relations deep
  Comment.objects.filter({ post__author__usernme: "an" });

  const post = await Post.objects.create({ title: "t", authorId: 1, meta: {} });
  // @ts-expect-error a nullable field may be null
  const published: Date = post.publishedAt;
  void published;
}

/**
 * Imports the Stack Exchange CSV files into the blog's tables, keeping the
 * dataset's ids. Votes and badges are not imported: the blog has no model
 * for them.
 */
import { Migrator, introspect, loadMigrations, type Database } from "@chakra-orm/core";
import { readCsv, readersOf, type RecordReader } from "./csv.js";
import { Comment, Post, PostTag, Tag, User, type PostType } from "./models.js";
import { ProgressBar } from "./progress.js";

/** Rows per bulkCreate call; small enough for the bar to move. */
const BATCH_SIZE = 50;

const POST_TYPE_IDS: Record<number, PostType> = {
  1: "question",
  2: "answer",
  4: "tagWikiExcerpt",
  5: "tagWiki",
};

export interface ImportOptions {
  /** The folder that contains the CSV files. */
  csvDir: string;
  /** The blog's migrations folder (apps/blog/migrations). */
  migrationsDir: string;
  /**
   * "skip" leaves a database that already contains users untouched, and
   * "recreate" rolls back every migration (dropping the blog's tables),
   * migrates again and imports again.
   */
  mode: "skip" | "recreate";
  /** Stream for the progress bars (default process.stderr), or null for none. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | null;
}

export interface ImportResult {
  skipped: boolean;
  /** Rows inserted per table (empty when skipped). */
  counts: Record<string, number>;
  durationMs: number;
}

async function insertInBatches<T>(
  output: ImportOptions["progress"],
  label: string,
  rows: readonly T[],
  insert: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  const bar = output ? new ProgressBar(output, label, rows.length) : undefined;

  for (let start = 0; start < rows.length; start += BATCH_SIZE) {
    const batch = rows.slice(start, start + BATCH_SIZE);
    await insert(batch);
    bar?.advance(batch.length);
  }

  bar?.finish();
}

function userRows(csvDir: string) {
  const table = readCsv(csvDir, "users", ["id", "display_name", "reputation", "creation_date", "last_access_date"]);

  return readersOf(table).map((row) => ({
    id: row.integer("id"),
    displayName: row.text("display_name"),
    reputation: row.integer("reputation"),
    location: row.optionalText("location"),
    websiteUrl: row.optionalText("website_url"),
    aboutMe: row.optionalText("about_me"),
    profileImageUrl: row.optionalText("profile_image_url"),
    views: row.integer("views"),
    upVotes: row.integer("up_votes"),
    downVotes: row.integer("down_votes"),
    accountId: row.optionalInteger("account_id"),
    lastAccessAt: row.timestamp("last_access_date"),
    createdAt: row.timestamp("creation_date"),
    updatedAt: row.timestamp("creation_date"),
    origin: "stackexchange" as const,
  }));
}

function postType(row: RecordReader): PostType {
  const id = row.integer("post_type_id");
  const type = POST_TYPE_IDS[id];

  if (!type) {
    throw new Error(`posts.csv: post_type_id ${id} is not one of ${Object.keys(POST_TYPE_IDS).join(", ")}.`);
  }

  return type;
}

/**
 * Reads posts with `acceptedAnswerId` split off: an accepted answer comes
 * after its question in the file, so it is linked once every post exists.
 * Posts without a parent come first for the same reason.
 */
function postRows(csvDir: string) {
  const table = readCsv(csvDir, "posts", ["id", "post_type_id", "parent_id", "body", "creation_date"]);
  const rows = readersOf(table).map((row) => {
    const createdAt = row.timestamp("creation_date");

    return {
      id: row.integer("id"),
      postType: postType(row),
      parentId: row.optionalInteger("parent_id"),
      acceptedAnswerId: row.optionalInteger("accepted_answer_id"),
      authorId: row.optionalInteger("owner_user_id"),
      authorName: row.optionalText("owner_display_name"),
      title: row.optionalText("title"),
      body: row.text("body"),
      score: row.integer("score"),
      viewCount: row.optionalInteger("view_count"),
      lastActivityAt: row.timestamp("last_activity_date"),
      closedAt: row.optionalTimestamp("closed_date"),
      contentLicense: row.text("content_license"),
      createdAt,
      updatedAt: row.optionalTimestamp("last_edit_date") ?? createdAt,
      origin: "stackexchange" as const,
    };
  });
  const ordered = [...rows.filter((row) => row.parentId === null), ...rows.filter((row) => row.parentId !== null)];
  const inserts = ordered.map(({ acceptedAnswerId: _accepted, ...rest }) => rest);
  const acceptedAnswers = rows
    .filter((row) => row.acceptedAnswerId !== null)
    .map((row) => ({ id: row.id, acceptedAnswerId: row.acceptedAnswerId as number, updatedAt: row.updatedAt }));

  return { inserts, acceptedAnswers };
}

function tagRows(csvDir: string) {
  const table = readCsv(csvDir, "tags", ["id", "tag_name"]);

  return readersOf(table).map((row) => ({
    id: row.integer("id"),
    name: row.text("tag_name"),
    excerptPostId: row.optionalInteger("excerpt_post_id"),
    wikiPostId: row.optionalInteger("wiki_post_id"),
  }));
}

function postTagRows(csvDir: string) {
  const table = readCsv(csvDir, "post_tags", ["post_id", "tag_id"]);

  return readersOf(table).map((row) => ({
    postId: row.integer("post_id"),
    tagId: row.integer("tag_id"),
  }));
}

function commentRows(csvDir: string) {
  const table = readCsv(csvDir, "comments", ["id", "post_id", "user_id", "text", "creation_date"]);

  return readersOf(table).map((row) => {
    const createdAt = row.timestamp("creation_date");

    return {
      id: row.integer("id"),
      postId: row.integer("post_id"),
      userId: row.optionalInteger("user_id"),
      userName: row.optionalText("user_display_name"),
      score: row.integer("score"),
      text: row.text("text"),
      contentLicense: row.text("content_license"),
      createdAt,
      updatedAt: createdAt,
      origin: "stackexchange" as const,
    };
  });
}

/**
 * Applies the blog's pending migrations. "recreate" first rolls back every
 * applied one, which drops the tables with their rows.
 */
export async function migrateDatabase(db: Database, migrationsDir: string, mode: ImportOptions["mode"]): Promise<void> {
  const migrator = new Migrator(db, await loadMigrations(migrationsDir));
  const recorded = (await migrator.status()).some((item) => item.applied);

  if (!recorded && (await introspect(db)).has(User.$meta.table)) {
    throw new Error(
      "The database has the blog's tables but no applied migrations: db.createTables() built it. " +
        'Record the initial migration without running it ("pnpm migrate --fake 0001_initial" in apps/blog, with the same DATABASE_URL), ' +
        "or delete the SQLite file to start over.",
    );
  }

  if (mode === "recreate") {
    await migrator.migrate({ target: "zero" });
  }

  await migrator.migrate();
}

/**
 * Migrates the database to the latest schema and imports the CSV files in
 * one transaction, so a failed import leaves no partial data behind.
 */
export async function importDataset(db: Database, options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const output = options.progress === undefined ? process.stderr : options.progress;

  await migrateDatabase(db, options.migrationsDir, options.mode);

  if (await User.objects.using(db).exists()) {
    return { skipped: true, counts: {}, durationMs: performance.now() - started };
  }

  // Read and convert everything first, so a bad CSV row fails before any write.
  const users = userRows(options.csvDir);
  const posts = postRows(options.csvDir);
  const tags = tagRows(options.csvDir);
  const postTags = postTagRows(options.csvDir);
  const comments = commentRows(options.csvDir);
  const load = <T>(label: string, rows: T[], insert: (batch: T[]) => Promise<unknown>) =>
    insertInBatches(output, label, rows, insert);

  await db.transaction(async () => {
    await load("users", users, (batch) => User.objects.using(db).bulkCreate(batch));
    await load("posts", posts.inserts, (batch) => Post.objects.using(db).bulkCreate(batch));
    await load("tags", tags, (batch) => Tag.objects.using(db).bulkCreate(batch));
    await load("post_tags", postTags, (batch) => PostTag.objects.using(db).bulkCreate(batch));
    await load("comments", comments, (batch) => Comment.objects.using(db).bulkCreate(batch));

    // Naming updatedAt keeps update() from setting it to now (its onUpdate).
    for (const { id, acceptedAnswerId, updatedAt } of posts.acceptedAnswers) {
      await Post.objects.using(db).filter({ id }).update({ acceptedAnswerId, updatedAt });
    }
  });

  const counts = {
    users: users.length,
    posts: posts.inserts.length,
    tags: tags.length,
    post_tags: postTags.length,
    comments: comments.length,
  };

  return { skipped: false, counts, durationMs: performance.now() - started };
}

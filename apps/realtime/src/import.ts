/**
 * Reads the dataset: users and posts are imported in bulk, and comments,
 * votes and badges become activity items, which the replay (or the seed)
 * adds to the feed in the order they happened on the site.
 */
import {
  Migrator,
  introspect,
  loadMigrations,
  type Database,
} from "@chakra-orm/core";
import { readCsv, readersOf, type RecordReader } from "./csv.js";
import {
  BADGE_CLASSES,
  Badge,
  Comment,
  Post,
  User,
  VOTE_TYPE_IDS,
  Vote,
  type FeedModelName,
  type PostType,
} from "./models.js";

/** Rows per bulkCreate call. */
const BATCH_SIZE = 100;

const POST_TYPE_IDS: Record<number, PostType> = {
  1: "question",
  2: "answer",
  4: "tagWikiExcerpt",
  5: "tagWiki",
};

export interface CommentItem {
  model: "comment";
  at: Date;
  row: {
    sourceId: number;
    postId: number;
    userId: number | null;
    userName: string | null;
    score: number;
    text: string;
    contentLicense: string;
    createdAt: Date;
  };
}

export interface VoteItem {
  model: "vote";
  at: Date;
  row: {
    sourceId: number;
    postId: number;
    voteType: Vote["voteType"];
    votedOn: string;
  };
}

export interface BadgeItem {
  model: "badge";
  at: Date;
  row: {
    sourceId: number;
    userId: number;
    name: string;
    badgeClass: Badge["badgeClass"];
    tagBased: boolean;
    awardedAt: Date;
  };
}

/** One comment, vote or badge of the dataset, with the time it happened. */
export type ActivityItem = CommentItem | VoteItem | BadgeItem;

function lookup<T>(
  table: Record<number, T>,
  row: RecordReader,
  column: string,
  file: string,
): T {
  const id = row.integer(column);
  const value = table[id];

  if (value === undefined) {
    throw new Error(
      `${file}: ${column} ${id} is not one of ${Object.keys(table).join(", ")}.`,
    );
  }

  return value;
}

function commentItems(csvDir: string): CommentItem[] {
  const table = readCsv(csvDir, "comments", [
    "id",
    "post_id",
    "user_id",
    "text",
    "creation_date",
  ]);

  return readersOf(table).map((row) => {
    const createdAt = row.timestamp("creation_date");

    return {
      model: "comment",
      at: createdAt,
      row: {
        sourceId: row.integer("id"),
        postId: row.integer("post_id"),
        userId: row.optionalInteger("user_id"),
        userName: row.optionalText("user_display_name"),
        score: row.integer("score"),
        text: row.text("text"),
        contentLicense: row.text("content_license"),
        createdAt,
      },
    };
  });
}

function voteItems(csvDir: string): VoteItem[] {
  const table = readCsv(csvDir, "votes", [
    "id",
    "post_id",
    "vote_type_id",
    "creation_date",
  ]);

  return readersOf(table).map((row) => {
    const votedOn = row.text("creation_date");

    if (!/^\d{4}-\d{2}-\d{2}$/.test(votedOn)) {
      throw new Error(
        `votes.csv: creation_date ${JSON.stringify(votedOn)} is not a date YYYY-MM-DD.`,
      );
    }

    return {
      model: "vote",
      at: new Date(`${votedOn}T00:00:00Z`),
      row: {
        sourceId: row.integer("id"),
        postId: row.integer("post_id"),
        voteType: lookup(VOTE_TYPE_IDS, row, "vote_type_id", "votes.csv"),
        votedOn,
      },
    };
  });
}

function badgeItems(csvDir: string): BadgeItem[] {
  const table = readCsv(csvDir, "badges", [
    "id",
    "user_id",
    "name",
    "date",
    "class",
    "tag_based",
  ]);
  const classes = {
    1: BADGE_CLASSES[0],
    2: BADGE_CLASSES[1],
    3: BADGE_CLASSES[2],
  };

  return readersOf(table).map((row) => {
    const awardedAt = row.timestamp("date");

    return {
      model: "badge",
      at: awardedAt,
      row: {
        sourceId: row.integer("id"),
        userId: row.integer("user_id"),
        name: row.text("name"),
        badgeClass: lookup(classes, row, "class", "badges.csv"),
        tagBased: row.integer("tag_based") === 1,
        awardedAt,
      },
    };
  });
}

const MODEL_ORDER: Record<FeedModelName, number> = {
  comment: 0,
  vote: 1,
  badge: 2,
};

/** Reads every comment, vote and badge, oldest first (ties by model, then dataset id). */
export function readActivity(csvDir: string): ActivityItem[] {
  const items: ActivityItem[] = [
    ...commentItems(csvDir),
    ...voteItems(csvDir),
    ...badgeItems(csvDir),
  ];

  return items.sort(
    (a, b) =>
      a.at.getTime() - b.at.getTime() ||
      MODEL_ORDER[a.model] - MODEL_ORDER[b.model] ||
      a.row.sourceId - b.row.sourceId,
  );
}

function userRows(csvDir: string) {
  const table = readCsv(csvDir, "users", ["id", "display_name", "reputation"]);

  return readersOf(table).map((row) => ({
    id: row.integer("id"),
    displayName: row.text("display_name"),
    reputation: row.integer("reputation"),
  }));
}

/** Reads posts, questions first, so that each answer's question exists when it is inserted. */
function postRows(csvDir: string) {
  const table = readCsv(csvDir, "posts", [
    "id",
    "post_type_id",
    "parent_id",
    "creation_date",
  ]);
  const rows = readersOf(table).map((row) => ({
    id: row.integer("id"),
    postType: lookup(POST_TYPE_IDS, row, "post_type_id", "posts.csv"),
    parentId: row.optionalInteger("parent_id"),
    authorId: row.optionalInteger("owner_user_id"),
    authorName: row.optionalText("owner_display_name"),
    title: row.optionalText("title"),
    createdAt: row.timestamp("creation_date"),
  }));

  return [
    ...rows.filter((row) => row.parentId === null),
    ...rows.filter((row) => row.parentId !== null),
  ];
}

async function insertInBatches<T>(
  rows: readonly T[],
  insert: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH_SIZE) {
    await insert(rows.slice(start, start + BATCH_SIZE));
  }
}

export interface ImportOptions {
  csvDir: string;
  /** The app's migrations folder (apps/realtime/migrations). */
  migrationsDir: string;
  /**
   * "skip" leaves a database that already contains users untouched, and
   * "recreate" rolls back every migration (dropping the app's tables),
   * migrates again and imports again.
   */
  mode: "skip" | "recreate";
  /**
   * Activity items added as history, with their original time as
   * publishedAt, so that the feed is not empty before the replay starts.
   */
  seed: number;
}

export interface ImportResult {
  skipped: boolean;
  counts: Record<string, number>;
}

/**
 * Applies the app's pending migrations. "recreate" first rolls back every
 * applied one, which drops the tables with their rows.
 */
export async function migrateDatabase(
  db: Database,
  migrationsDir: string,
  mode: ImportOptions["mode"],
): Promise<void> {
  const migrator = new Migrator(db, await loadMigrations(migrationsDir));
  const recorded = (await migrator.status()).some((item) => item.applied);

  if (!recorded && (await introspect(db)).has(User.$meta.table)) {
    throw new Error(
      "The database has the app's tables but no applied migrations: db.createTables() built it. " +
        'Record the initial migration without running it ("pnpm migrate --fake 0001_initial" in apps/realtime, with the same DATABASE_URL), ' +
        "or delete the SQLite file to start over.",
    );
  }

  if (mode === "recreate") {
    await migrator.migrate({ target: "zero" });
  }

  await migrator.migrate();
}

/**
 * Migrates the database to the latest schema, then imports users, posts
 * and the seed items in one transaction. bulkCreate runs no hooks, so the import
 * publishes no changes.
 */
export async function importDataset(
  db: Database,
  options: ImportOptions,
): Promise<ImportResult> {
  await migrateDatabase(db, options.migrationsDir, options.mode);

  if (await User.objects.using(db).exists()) {
    return { skipped: true, counts: {} };
  }

  const users = userRows(options.csvDir);
  const posts = postRows(options.csvDir);
  const seed = readActivity(options.csvDir).slice(0, options.seed);
  const comments = seed
    .filter((item) => item.model === "comment")
    .map((item) => ({ ...item.row, publishedAt: item.at }));
  const votes = seed
    .filter((item) => item.model === "vote")
    .map((item) => ({ ...item.row, publishedAt: item.at }));
  const badges = seed
    .filter((item) => item.model === "badge")
    .map((item) => ({ ...item.row, publishedAt: item.at }));

  await db.transaction(async () => {
    await insertInBatches(users, (batch) =>
      User.objects.using(db).bulkCreate(batch),
    );
    await insertInBatches(posts, (batch) =>
      Post.objects.using(db).bulkCreate(batch),
    );
    await insertInBatches(comments, (batch) =>
      Comment.objects.using(db).bulkCreate(batch),
    );
    await insertInBatches(votes, (batch) =>
      Vote.objects.using(db).bulkCreate(batch),
    );
    await insertInBatches(badges, (batch) =>
      Badge.objects.using(db).bulkCreate(batch),
    );
  });

  return {
    skipped: false,
    counts: { users: users.length, posts: posts.length, seeded: seed.length },
  };
}

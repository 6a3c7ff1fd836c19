/**
 * Entry point of `pnpm blog`: imports the dataset, prints a report of a few
 * queries, then serves the JSON API on 127.0.0.1.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Database } from "@chakra-orm/core";
import { openDatabase, parseDatabaseUrl, redactUrl } from "./connect.js";
import { importDataset } from "./import.js";
import { listQuestions, mostCommentedPosts, topTags } from "./queries.js";
import { buildServer } from "./server.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const DEFAULT_DB_FILE = path.join(APP_DIR, "var", "blog.db");
const HOST = "127.0.0.1";
const DEFAULT_PORT = 3000;

const HELP = `Usage: pnpm blog [-- options]

Imports the Stack Exchange dataset, prints a query report, then serves the API.

Options:
  --no-server, --once  print the report and exit instead of starting the server
  --reimport           roll back the migrations (dropping the blog's tables),
                       migrate again and import the dataset again
                       (by default an existing import is kept)
  -h, --help           show this help

Environment:
  DATABASE_URL  SQLite file path (default var/blog.db), postgres://... or mysql://...
  PORT          HTTP port on ${HOST} (default ${DEFAULT_PORT}; 0 picks a free one)
  CHAKRA_LOG    "queries" prints every SQL statement to stderr
`;

function parseOptions() {
  const { values } = parseArgs({
    // pnpm passes a literal "--" through when the command is `pnpm blog -- --once`.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      "no-server": { type: "boolean", default: false },
      once: { type: "boolean", default: false },
      reimport: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  return { serve: !values["no-server"] && !values.once, reimport: values.reimport, help: values.help };
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === "") {
    return DEFAULT_PORT;
  }

  const port = Number(text);

  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT "${text}" is invalid. Use a whole number from 0 to 65535.`);
  }

  return port;
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(`\n${label} (${(performance.now() - started).toFixed(1)} ms)`);

  return result;
}

/** Prints the results of a few real queries to stdout. */
async function printReport(db: Database): Promise<void> {
  const tags = await timed("Top tags", () => topTags(db, 5));

  for (const tag of tags) {
    console.log(`  ${String(tag.questionCount).padStart(4)}  ${tag.name}`);
  }

  const commented = await timed("Most commented posts", () => mostCommentedPosts(db, 5));

  for (const post of commented) {
    console.log(`  ${String(post.commentCount).padStart(4)}  #${post.id} (${post.type}) ${post.title ?? ""}`);
  }

  const search = "tag";
  const found = await timed(`Full-text search for "${search}"`, () => listQuestions({ page: 1, pageSize: 3, search }));
  console.log(`  ${found.paginator.totalCount} questions; best ${found.items.length}:`);

  for (const post of found.items) {
    console.log(`  #${post.id} ${post.title} (by ${post.author?.displayName ?? post.authorName ?? "unknown"})`);
  }

  const page = await timed("Questions, page 2 (10 per page, newest first)", () => listQuestions({ page: 2, pageSize: 10 }));
  console.log(`  page ${page.number} of ${page.paginator.pageCount}:`);

  for (const post of page.items) {
    const tagNames = post.tags.toArray().map((tag) => tag.name).join(", ");
    console.log(`  ${post.createdAt.toISOString().slice(0, 10)}  #${post.id} ${post.title} [${tagNames}]`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions();

  if (options.help) {
    process.stdout.write(HELP);

    return;
  }

  const port = parsePort(process.env.PORT);
  const target = parseDatabaseUrl(process.env.DATABASE_URL, DEFAULT_DB_FILE, APP_DIR);
  console.log(`Database: ${target.dialect} ${target.dialect === "sqlite" ? target.location : redactUrl(target.location)}`);
  const db = await openDatabase(target);

  try {
    const imported = await importDataset(db, { csvDir: CSV_DIR, migrationsDir: MIGRATIONS_DIR, mode: options.reimport ? "recreate" : "skip" });

    if (imported.skipped) {
      console.log("Import skipped: the database already holds the dataset (pass --reimport to load it again).");
    } else {
      const counts = Object.entries(imported.counts).map(([table, count]) => `${count} ${table}`).join(", ");
      console.log(`Imported ${counts} in ${imported.durationMs.toFixed(0)} ms.`);
    }

    await printReport(db);
  } catch (error) {
    await db.close();
    throw error;
  }

  if (!options.serve) {
    await db.close();

    return;
  }

  const app = buildServer({ db, logger: { level: "info" } });
  const stop = async (signal: string) => {
    app.log.info(`${signal} received, stopping`);
    await app.close();
    await db.close();
  };

  process.once("SIGINT", (signal) => void stop(signal));
  process.once("SIGTERM", (signal) => void stop(signal));
  const address = await app.listen({ host: HOST, port });
  console.log(`\nBlog API listening on ${address} (try ${address}/posts). Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});

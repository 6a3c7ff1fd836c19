/**
 * Entry point of `pnpm realtime`: imports users and posts, serves the API,
 * the WebSocket hub and the live page on 127.0.0.1, and replays the
 * dataset's comments, votes and badges as live activity.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openDatabase, parseDatabaseUrl, redactUrl } from "./connect.js";
import { importDataset, readActivity } from "./import.js";
import { Replayer } from "./replay.js";
import { buildServer } from "./server.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const CSV_DIR = path.join(APP_DIR, "data", "csv");
const MIGRATIONS_DIR = path.join(APP_DIR, "migrations");
const PUBLIC_DIR = path.join(APP_DIR, "public");
const DEFAULT_DB_FILE = path.join(APP_DIR, "var", "realtime.db");
const HOST = "127.0.0.1";
const DEFAULT_PORT = 3001;
const DEFAULT_REPLAY_MS = 2000;
const DEFAULT_SEED = 20;

const HELP = `Usage: pnpm realtime [-- options]

Imports the dataset's users and posts, then serves the live activity feed:
the page on /, the JSON API, and WebSocket subscriptions on /ws.

Options:
  --no-replay       do not replay the dataset's comments, votes and badges
  --reimport        roll back the migrations (dropping the app's tables),
                    migrate again and import the dataset again
  -h, --help        show this help

Environment:
  DATABASE_URL      SQLite file path (default var/realtime.db), postgres://... or mysql://...
  PORT              HTTP port on ${HOST} (default ${DEFAULT_PORT}; 0 picks a free one)
  REPLAY_INTERVAL_MS  milliseconds between two replayed items (default ${DEFAULT_REPLAY_MS})
  CHAKRA_LOG        "queries" prints every SQL statement to stderr
`;

function parseOptions() {
  const { values } = parseArgs({
    // pnpm passes a literal "--" through when the command is `pnpm realtime -- --no-replay`.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      "no-replay": { type: "boolean", default: false },
      reimport: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  return {
    replay: !values["no-replay"],
    reimport: values.reimport,
    help: values.help,
  };
}

function parseInteger(
  name: string,
  text: string | undefined,
  fallback: number,
  max: number,
): number {
  if (text === undefined || text === "") {
    return fallback;
  }

  const value = Number(text);

  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(
      `${name} "${text}" is invalid. Use a whole number from 0 to ${max}.`,
    );
  }

  return value;
}

async function main(): Promise<void> {
  const options = parseOptions();

  if (options.help) {
    process.stdout.write(HELP);

    return;
  }

  const port = parseInteger("PORT", process.env.PORT, DEFAULT_PORT, 65535);
  const replayMs = parseInteger(
    "REPLAY_INTERVAL_MS",
    process.env.REPLAY_INTERVAL_MS,
    DEFAULT_REPLAY_MS,
    3_600_000,
  );
  const target = parseDatabaseUrl(
    process.env.DATABASE_URL,
    DEFAULT_DB_FILE,
    APP_DIR,
  );
  console.log(
    `Database: ${target.dialect} ${target.dialect === "sqlite" ? target.location : redactUrl(target.location)}`,
  );
  const db = await openDatabase(target);

  try {
    const imported = await importDataset(db, {
      csvDir: CSV_DIR,
      migrationsDir: MIGRATIONS_DIR,
      mode: options.reimport ? "recreate" : "skip",
      seed: DEFAULT_SEED,
    });
    console.log(
      imported.skipped
        ? "Import skipped: the database already holds the dataset (pass --reimport to load it again)."
        : `Imported ${imported.counts.users} users, ${imported.counts.posts} posts and ${imported.counts.seeded} feed items.`,
    );
  } catch (error) {
    await db.close();
    throw error;
  }

  const { app } = await buildServer({
    db,
    publicDir: PUBLIC_DIR,
    logger: { level: "info" },
  });
  const replayer =
    options.replay && replayMs > 0
      ? new Replayer(db, readActivity(CSV_DIR), {
          intervalMs: replayMs,
          log: app.log,
        })
      : undefined;
  const stop = async (signal: string) => {
    app.log.info(`${signal} received, stopping`);
    replayer?.stop();
    await app.close();
    await db.close();
  };

  process.once("SIGINT", (signal) => void stop(signal));
  process.once("SIGTERM", (signal) => void stop(signal));
  const address = await app.listen({ host: HOST, port });
  // Tests and scripts read this line to find the port.
  console.log(
    `Realtime feed listening on ${address} (open it in a browser). Press Ctrl+C to stop.`,
  );
  await replayer?.start();
}

main().catch((error: unknown) => {
  console.error(
    error instanceof Error ? (error.stack ?? error.message) : error,
  );
  process.exitCode = 1;
});

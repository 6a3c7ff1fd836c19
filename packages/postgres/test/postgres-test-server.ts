/**
 * Test helpers: find the PostgreSQL server, and give each test file a
 * database of its own so parallel jest workers never share tables.
 */
import { spawnSync } from "node:child_process";
import pg from "pg";

/** The server the tests use; it must allow CREATE DATABASE. */
export const SERVER_URL =
  process.env.CHAKRA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Returns why the server cannot be used, or undefined when it accepts a connection.
 * The probe runs in a child process so that jest can decide between
 * `describe` and `describe.skip` while it loads the test file.
 */
function probeServer(): string | undefined {
  const script = `
    const { Client } = require("pg");
    const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: ${PROBE_TIMEOUT_MS} });
    client.connect()
      .then(() => client.end())
      .catch((error) => { process.stdout.write(String(error.message || error.code)); process.exit(1); });
  `;
  const result = spawnSync(process.execPath, ["-e", script, SERVER_URL], {
    cwd: __dirname,
    encoding: "utf8",
    timeout: PROBE_TIMEOUT_MS * 2,
  });

  if (result.status === 0) {
    return undefined;
  }

  return result.stdout.trim() || result.error?.message || `probe exited with ${result.status}`;
}

const unavailable = probeServer();

/**
 * Declares a suite that needs the server. It is skipped with a one-line
 * reason when the server is unreachable, and fails instead when
 * CHAKRA_REQUIRE_DBS=1.
 */
export function describePostgres(name: string, body: () => void): void {
  if (unavailable === undefined) {
    describe(name, body);

    return;
  }

  const reason = `PostgreSQL at ${redact(SERVER_URL)} is unreachable: ${unavailable}`;

  if (process.env.CHAKRA_REQUIRE_DBS === "1") {
    describe(name, () => {
      test("server is reachable", () => {
        throw new Error(`${reason}. Start the server, or unset CHAKRA_REQUIRE_DBS to skip.`);
      });
    });

    return;
  }

  describe.skip(`${name} (skipped: ${reason})`, body);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** Returns the URL of `database` on the test server. */
export function databaseUrl(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;

  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();

  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database named `chakra_pg_<suffix>`, dropping a leftover
 * one first, and returns its URL. `ctype` sets LC_CTYPE and LC_COLLATE.
 */
export async function createTestDatabase(
  suffix: string,
  options: { ctype?: string } = {},
): Promise<string> {
  const name = `chakra_pg_${suffix}`;
  const locale = options.ctype
    ? ` template template0 lc_ctype '${options.ctype}' lc_collate '${options.ctype}'`
    : "";

  await withAdmin(async (client) => {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"${locale}`);
  });

  return databaseUrl(name);
}

/** Drops the database that `createTestDatabase(suffix)` created. */
export async function dropTestDatabase(suffix: string): Promise<void> {
  await withAdmin((client) =>
    client.query(`drop database if exists "chakra_pg_${suffix}" with (force)`),
  );
}

/**
 * The dialects the conformance suite runs on. `CHAKRA_DIALECTS` picks a
 * subset (default: all three). A server that is not reachable is skipped
 * with a one-line reason, unless CHAKRA_REQUIRE_DBS=1, where the global
 * setup fails instead.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { Database, sql, type Dialect } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";

export type DialectName = "sqlite" | "postgres" | "mysql";

export interface TestDialect {
  name: DialectName;
  /** Creates a fresh database named after the test file and opens it. */
  open(fileKey: string): Promise<Database>;
  /** Closes the database and removes what `open` created. */
  close(db: Database): Promise<void>;
}

const ALL: DialectName[] = ["sqlite", "postgres", "mysql"];

async function loadPostgres(url: string): Promise<Dialect> {
  const module = await import("@chakra-orm/postgres");

  return module.postgres(url);
}

async function loadMysql(url: string): Promise<Dialect> {
  const module = await import("@chakra-orm/mysql");

  return module.mysql(url);
}

function databaseName(fileKey: string): string {
  // The run id keeps two jest runs on one server from sharing a database.
  const run = (process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "");

  return `chakra_t_${fileKey.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}_${run}`.slice(0, 63);
}

const sqliteDialect: TestDialect = {
  name: "sqlite",
  async open(fileKey) {
    const folder = mkdtempSync(join(tmpdir(), `chakra-${fileKey}-`));
    const db = new Database({ dialect: sqlite({ filename: join(folder, "test.db") }), name: `sqlite-${fileKey}` });
    folders.set(db, folder);

    return db.setDefault();
  },
  async close(db) {
    await db.close();
    const folder = folders.get(db);

    if (folder) {
      rmSync(folder, { recursive: true, force: true });
    }
  },
};

const folders = new WeakMap<Database, string>();

function serverDialect(
  name: "postgres" | "mysql",
  adminUrl: string,
  urlFor: (database: string) => string,
  load: (url: string) => Promise<Dialect>,
): TestDialect {
  return {
    name,
    async open(fileKey) {
      const database = databaseName(fileKey);
      const admin = new Database({ dialect: await load(adminUrl), name: `${name}-admin-${fileKey}` });

      try {
        await admin.raw(sql`drop database if exists ${sql.identifier(database)}`);
        await admin.raw(sql`create database ${sql.identifier(database)}`);
      } finally {
        await admin.close();
      }

      const db = new Database({ dialect: await load(urlFor(database)), name: `${name}-${fileKey}` });
      names.set(db, { database, adminUrl, load });

      return db.setDefault();
    },
    async close(db) {
      await db.close();
      const created = names.get(db);

      if (!created) {
        return;
      }

      const admin = new Database({ dialect: await created.load(created.adminUrl), name: `${name}-admin-drop` });

      try {
        // PostgreSQL refuses to drop a database that a closing pool still
        // touches; FORCE ends those sessions first.
        await admin.raw(
          name === "postgres"
            ? sql`drop database if exists ${sql.identifier(created.database)} with (force)`
            : sql`drop database if exists ${sql.identifier(created.database)}`,
        );
      } finally {
        await admin.close();
      }
    },
  };
}

const names = new WeakMap<Database, { database: string; adminUrl: string; load: (url: string) => Promise<Dialect> }>();

const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

const DIALECTS: Record<DialectName, TestDialect> = {
  sqlite: sqliteDialect,
  postgres: serverDialect("postgres", `${PG}/test`, (database) => `${PG}/${database}`, loadPostgres),
  mysql: serverDialect("mysql", `${MY}/test`, (database) => `${MY}/${database}`, loadMysql),
};

/** The dialects chosen by CHAKRA_DIALECTS, each with whether it can run here. */
export function chosenDialects(): { dialect: TestDialect; available: boolean }[] {
  const chosen = (process.env.CHAKRA_DIALECTS ?? ALL.join(","))
    .split(",")
    .map((item) => item.trim())
    .filter((item): item is DialectName => (ALL as string[]).includes(item));
  const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));

  return chosen.map((name) => ({ dialect: DIALECTS[name], available: available.has(name) }));
}

/**
 * Runs `body` once per chosen dialect inside a describe block named
 * "<dialect> <title>", opening a fresh database for the file first.
 */
export function eachDialect(
  title: string,
  body: (context: { dialect: TestDialect; db: () => Database }) => void,
): void {
  for (const { dialect, available } of chosenDialects()) {
    if (!available) {
      describe.skip(`${dialect.name} ${title}`, () => {
        test(`skipped: no ${dialect.name} server on 127.0.0.1`, () => undefined);
      });
      process.stderr.write(`skipping ${dialect.name} ${title}: no ${dialect.name} server on 127.0.0.1\n`);
      continue;
    }

    describe(`${dialect.name} ${title}`, () => {
      let database: Database | undefined;
      const fileKey = `${dialect.name}_${title}`;

      beforeAll(async () => {
        database = await dialect.open(fileKey);
        await database.createTables();
      });

      afterAll(async () => {
        if (database) {
          await dialect.close(database);
        }
      });

      body({
        dialect,
        db: () => {
          if (!database) {
            throw new Error(`The ${dialect.name} database for "${title}" did not open; see the beforeAll error.`);
          }

          return database;
        },
      });
    });
  }
}

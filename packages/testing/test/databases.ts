/**
 * Opens a scratch database per dialect for this package's tests: a
 * temporary SQLite file, or a database created on the PostgreSQL or MySQL
 * server on 127.0.0.1 and dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Database, sql, type Dialect } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";

export type DialectName = "sqlite" | "postgres" | "mysql";

const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

/** Set by the jest global setup, which fails first when CHAKRA_REQUIRE_DBS=1 and a server is down. */
const available = new Set((process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","));

export interface TestDatabase {
  db: Database;
  close(): Promise<void>;
}

export const DIALECTS: { name: DialectName; available: boolean }[] = [
  { name: "sqlite", available: true },
  { name: "postgres", available: available.has("postgres") },
  { name: "mysql", available: available.has("mysql") },
];

async function serverDialect(name: Exclude<DialectName, "sqlite">, url: string): Promise<Dialect> {
  if (name === "postgres") {
    return (await import("@chakra-orm/postgres")).postgres(url);
  }

  return (await import("@chakra-orm/mysql")).mysql(url);
}

/** Creates an empty database named after `key` and the jest run, and opens it. */
export async function openTestDatabase(name: DialectName, key: string): Promise<TestDatabase> {
  if (name === "sqlite") {
    const folder = mkdtempSync(path.join(tmpdir(), `chakra-testing-${key}-`));
    const db = new Database({ dialect: sqlite({ filename: path.join(folder, "test.db") }), name: `sqlite-${key}` });

    return {
      db: db.setDefault(),
      async close() {
        await db.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }

  return openServerDatabase(name, key);
}

async function openServerDatabase(name: Exclude<DialectName, "sqlite">, key: string): Promise<TestDatabase> {
  const base = name === "postgres" ? PG : MY;
  const run = (process.env.CHAKRA_RUN_ID ?? "0").replace(/[^0-9]/g, "");
  const database = `chakra_testing_${key}_${run}`.slice(0, 63);
  const dropStatement =
    name === "postgres"
      ? sql`drop database if exists ${sql.identifier(database)} with (force)`
      : sql`drop database if exists ${sql.identifier(database)}`;

  async function admin(statements: ReturnType<typeof sql>[]): Promise<void> {
    const connection = new Database({ dialect: await serverDialect(name, `${base}/test`), name: `${name}-admin-${key}` });

    try {
      for (const statement of statements) {
        await connection.raw(statement);
      }
    } finally {
      await connection.close();
    }
  }

  await admin([dropStatement, sql`create database ${sql.identifier(database)}`]);
  const db = new Database({ dialect: await serverDialect(name, `${base}/${database}`), name: `${name}-${key}` });

  return {
    db: db.setDefault(),
    async close() {
      await db.close();
      await admin([dropStatement]);
    },
  };
}

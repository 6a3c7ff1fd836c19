/**
 * Fresh databases for the migration tests: a temporary SQLite file, and a
 * database created on the local PostgreSQL and MariaDB/MySQL servers.
 * CHAKRA_DIALECTS picks a subset; a server that does not answer is skipped
 * with a one-line reason unless CHAKRA_REQUIRE_DBS=1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, sql, type Dialect } from "@chakra-orm/core";
import { sqlite } from "@chakra-orm/sqlite";
import { postgres } from "@chakra-orm/postgres";
import { mysql } from "@chakra-orm/mysql";

export type DialectName = "sqlite" | "postgres" | "mysql";

const PG = process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

export interface TestDatabase {
  dialect: DialectName;
  /** A connection URL for the CLI's databaseUrl. */
  url: string;
  /** Opens another Database on the same data. */
  connect(options?: { busyTimeout?: number }): Database;
  drop(): Promise<void>;
}

export function chosenDialects(): DialectName[] {
  const all: DialectName[] = ["sqlite", "postgres", "mysql"];

  return (process.env.CHAKRA_DIALECTS ?? all.join(","))
    .split(",")
    .map((item) => item.trim())
    .filter((item): item is DialectName => (all as string[]).includes(item));
}

function serverDialect(name: DialectName, url: string): Dialect {
  return name === "postgres" ? postgres(url) : mysql(url);
}

/** Returns false (and logs why) when the server for `name` does not answer. */
export async function available(name: DialectName): Promise<boolean> {
  if (name === "sqlite") {
    return true;
  }

  const admin = new Database({ dialect: serverDialect(name, name === "postgres" ? `${PG}/postgres` : `${MY}/mysql`), name: `probe-${name}` });

  try {
    await admin.raw(sql`select 1`);

    return true;
  } catch (error) {
    if (process.env.CHAKRA_REQUIRE_DBS === "1") {
      throw error;
    }

    process.stderr.write(`skipping ${name} migration tests: no ${name} server on 127.0.0.1\n`);

    return false;
  } finally {
    await admin.close();
  }
}

export async function createDatabase(name: DialectName, key: string): Promise<TestDatabase> {
  if (name === "sqlite") {
    const folder = mkdtempSync(join(tmpdir(), `chakra-${key}-`));
    const file = join(folder, "test.db");

    return {
      dialect: name,
      url: `sqlite:${file}`,
      connect: (options = {}) =>
        new Database({ dialect: sqlite({ filename: file, busyTimeout: options.busyTimeout }), name: `sqlite-${key}-${Math.random()}` }),
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  }

  const base = name === "postgres" ? PG : MY;
  const database = `chakra_m_${key}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase();
  const adminUrl = name === "postgres" ? `${base}/postgres` : `${base}/mysql`;
  const admin = new Database({ dialect: serverDialect(name, adminUrl), name: `admin-${key}` });

  try {
    await admin.raw(sql`drop database if exists ${sql.identifier(database)}`);
    await admin.raw(sql`create database ${sql.identifier(database)}`);
  } finally {
    await admin.close();
  }

  return {
    dialect: name,
    url: `${base}/${database}`,
    connect: () => new Database({ dialect: serverDialect(name, `${base}/${database}`), name: `${name}-${key}-${Math.random()}` }),
    drop: async () => {
      const again = new Database({ dialect: serverDialect(name, adminUrl), name: `admin-drop-${key}` });

      try {
        if (name === "postgres") {
          await again.raw(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`);
        }

        await again.raw(sql`drop database if exists ${sql.identifier(database)}`);
      } finally {
        await again.close();
      }
    },
  };
}

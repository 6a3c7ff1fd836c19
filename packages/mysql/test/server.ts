/** Connection settings of the test server and a per-file test database. */
import { Database } from "@chakra-orm/core";
import mysql2 from "mysql2/promise";
import { mysql, type MysqlDialect, type MysqlOptions } from "../src/index.js";
import { SKIP_VARIABLE, serverOptions } from "./server-settings.js";

export { serverOptions };

/** `describe`, or `describe.skip` when the server is unreachable. */
export const describeServer: jest.Describe = process.env[SKIP_VARIABLE] ? describe.skip : describe;

export interface TestDatabase {
  db: Database;
  dialect: MysqlDialect;
  /** Options that reach the test database, for extra dialects in a test. */
  options: MysqlOptions;
}

/**
 * Creates the database `chakra_mysql_<name>` before the file's tests and drops
 * it after them, so jest workers running files in parallel never share tables.
 */
export function useTestDatabase(name: string, extra: MysqlOptions = {}): TestDatabase {
  const database = `chakra_mysql_${name}`;
  const handle = {} as TestDatabase;

  beforeAll(async () => {
    const admin = await mysql2.createConnection(serverOptions());

    try {
      await admin.query(`drop database if exists \`${database}\``);
      await admin.query(`create database \`${database}\` character set utf8mb4 collate utf8mb4_bin`);
    } finally {
      await admin.end();
    }

    handle.options = { ...serverOptions(), database, ...extra };
    handle.dialect = mysql(handle.options);
    handle.db = new Database({ dialect: handle.dialect });
    await handle.db.createTables();
  });

  afterAll(async () => {
    await handle.db?.close();
    const admin = await mysql2.createConnection(serverOptions());

    try {
      await admin.query(`drop database if exists \`${database}\``);
    } finally {
      await admin.end();
    }
  });

  return handle;
}

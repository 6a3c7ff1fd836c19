/**
 * MySQL 8 and MariaDB dialect for Chakra ORM, on mysql2's promise pool.
 *
 * @example
 * import { Database } from "@chakra-orm/core";
 * import { mysql } from "@chakra-orm/mysql";
 *
 * const db = new Database({ dialect: mysql("mysql://app:secret@127.0.0.1:3306/shop") });
 */
export { mysql, MysqlDialect } from "./mysql-dialect.js";
export type { MysqlOptions } from "./mysql-dialect.js";
export { MysqlCompiler, BINARY_COLLATION, jsonPath } from "./mysql-compiler.js";
export { MysqlDriver, MysqlConnection } from "./mysql-driver.js";
export type { ServerInfo, MysqlDriverSettings } from "./mysql-driver.js";
export { translateMysqlError } from "./mysql-errors.js";

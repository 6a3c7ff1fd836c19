export { sqlite } from "./sqlite-dialect.js";
export { SqliteCompiler, sqliteJsonPath } from "./sqlite-compiler.js";
export { SqliteDriver, SqliteConnection } from "./sqlite-driver.js";
export type { SqliteOptions } from "./sqlite-driver.js";
export { translateSqliteError } from "./sqlite-errors.js";

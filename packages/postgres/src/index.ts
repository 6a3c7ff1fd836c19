/**
 * PostgreSQL dialect for Chakra ORM, on the `pg` driver and its pool.
 *
 * @example
 * import { Database } from "@chakra-orm/core";
 * import { postgres } from "@chakra-orm/postgres";
 *
 * const db = new Database({ dialect: postgres("postgres://app@localhost/app") });
 */
export { postgres, PostgresDialect } from "./postgres-dialect.js";
export type { PostgresOptions } from "./postgres-dialect.js";
export { PostgresCompiler } from "./postgres-compiler.js";
export { PostgresDriver, PostgresConnection } from "./postgres-driver.js";
export type { PostgresDriverOptions } from "./postgres-driver.js";
export { translatePostgresError } from "./postgres-errors.js";
export { parseTimestamp, postgresTypes } from "./postgres-types.js";
export {
  tsVector,
  toTsVector,
  setWeight,
  plainToTsQuery,
  phraseToTsQuery,
  websearchToTsQuery,
  toTsQuery,
  tsRank,
  TextSearchFunction,
} from "./search/ts-vector.js";
export type { TsVectorField, TsVectorOptions } from "./search/ts-vector.js";
export {
  listen,
  notify,
  PostgresListener,
  backoffDelay,
  MAX_CHANNEL_BYTES,
  MAX_PAYLOAD_BYTES,
} from "./listen/index.js";
export type {
  ListenerEvents,
  ListenerOptions,
  ListenTarget,
  NotificationHandler,
  NotificationMessage,
} from "./listen/index.js";

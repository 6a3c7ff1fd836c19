/**
 * The InnoDB FULLTEXT index of a model's search field. Chakra's tables use
 * the binary collation utf8mb4_bin, under which InnoDB keeps tokens
 * case-sensitive, so the index covers a generated column that joins the
 * indexed fields under utf8mb4_unicode_ci, which folds case and accents.
 */
import { searchFields, searchSpec, type CompiledQuery, type ModelMeta, type SearchSpec } from "@chakra-orm/core";

/** The collation of the generated search column; it exists on MySQL 8 and MariaDB. */
export const SEARCH_COLLATION = "utf8mb4_unicode_ci";

/** Returns the name of the FULLTEXT index of a model's table. */
export function fulltextIndexName(table: string): string {
  return `${table}_fulltext`;
}

/**
 * Adds the generated column and the FULLTEXT index. MySQL 8 has neither
 * ADD COLUMN IF NOT EXISTS nor CREATE INDEX IF NOT EXISTS, so the driver
 * treats "duplicate column name" (1060) and "duplicate key name" (1061) on
 * these statements as success, and createTables() stays repeatable. InnoDB
 * adds its hidden FTS_DOC_ID column with the first FULLTEXT index, which
 * rebuilds the table once.
 */
export function fulltextCreateStatements(meta: ModelMeta, quote: (name: string) => string): CompiledQuery[] {
  const [field] = searchFields(meta);

  if (!field) {
    return [];
  }

  return fulltextIndexStatements(searchSpec(meta, field, meta.table), quote);
}

/** Adds one search index's generated column and FULLTEXT index; see `fulltextCreateStatements`. */
export function fulltextIndexStatements(search: SearchSpec, quote: (name: string) => string): CompiledQuery[] {
  const table = quote(search.table);
  const column = quote(search.vectorColumn);
  const joined = `concat_ws(' ', ${search.columns.map((item) => quote(item.column)).join(", ")})`;

  // NOTE: checked on MariaDB 10.11 only; MySQL 8 documents FULLTEXT indexes
  // on stored generated columns, but this path has not run there.
  return [
    `alter table ${table} add column if not exists ${column} longtext collate ${SEARCH_COLLATION} generated always as (${joined}) stored`,
    `create fulltext index ${quote(fulltextIndexName(search.table))} on ${table} (${column})`,
  ].map((sql) => ({ sql, params: [] }));
}

/** Drops the FULLTEXT index and the generated column it covers. */
export function fulltextDropStatements(search: SearchSpec, quote: (name: string) => string): CompiledQuery[] {
  const table = quote(search.table);

  return [
    `alter table ${table} drop index ${quote(fulltextIndexName(search.table))}`,
    `alter table ${table} drop column ${quote(search.vectorColumn)}`,
  ].map((sql) => ({ sql, params: [] }));
}

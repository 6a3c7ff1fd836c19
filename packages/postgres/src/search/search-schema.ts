/**
 * The stored search vector of a model's search field: a generated tsvector
 * column that PostgreSQL keeps up to date on every write, and its GIN index.
 */
import { searchFields, searchSpec, type CompiledQuery, type ModelMeta, type SearchSpec } from "@chakra-orm/core";

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Builds `setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') || ...`.
 * The two-argument to_tsvector with a constant configuration is immutable,
 * which a generated column requires. The language is a bare identifier
 * (checked by field.search()), so writing it as a literal is safe.
 */
function vectorExpression(columns: readonly { column: string; weight: string | undefined }[], language: string): string {
  return columns
    .map(({ column, weight }) => {
      const vector = `to_tsvector('${language}'::regconfig, coalesce(${quote(column)}, ''))`;

      return weight === undefined ? vector : `setweight(${vector}, '${weight}')`;
    })
    .join(" || ");
}

/** Adds the generated column and its GIN index of each search field, if they are missing. */
export function searchVectorStatements(meta: ModelMeta): CompiledQuery[] {
  return searchFields(meta).flatMap((field) => searchIndexStatements(searchSpec(meta, field, meta.table)));
}

function ginIndexName(search: SearchSpec): string {
  return `${search.table}_${search.vectorColumn}_gin`;
}

/** Adds one search index's generated column and GIN index, if they are missing. */
export function searchIndexStatements(search: SearchSpec): CompiledQuery[] {
  const table = quote(search.table);
  const column = quote(search.vectorColumn);
  const expression = vectorExpression(search.columns, search.language);

  return [
    `alter table ${table} add column if not exists ${column} tsvector generated always as (${expression}) stored`,
    `create index if not exists ${quote(ginIndexName(search))} on ${table} using gin (${column})`,
  ].map((sql) => ({ sql, params: [] }));
}

/** Drops one search index and its generated column. */
export function dropSearchIndexStatements(search: SearchSpec): CompiledQuery[] {
  const table = quote(search.table);

  return [
    `drop index if exists ${quote(ginIndexName(search))}`,
    `alter table ${table} drop column if exists ${quote(search.vectorColumn)}`,
  ].map((sql) => ({ sql, params: [] }));
}

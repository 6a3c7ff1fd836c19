/**
 * The stored search vector of a model's search field: a generated tsvector
 * column that PostgreSQL keeps up to date on every write, and its GIN index.
 */
import { searchFields, searchSpec, type CompiledQuery, type ModelMeta } from "@chakra-orm/core";

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

/** Adds the generated column and its GIN index if they are missing. */
export function searchVectorStatements(meta: ModelMeta): CompiledQuery[] {
  return searchFields(meta).flatMap((field) => {
    const search = searchSpec(meta, field, meta.table);
    const table = quote(meta.table);
    const column = quote(search.vectorColumn);
    const expression = vectorExpression(search.columns, search.language);

    return [
      `alter table ${table} add column if not exists ${column} tsvector generated always as (${expression}) stored`,
      `create index if not exists ${quote(`${meta.table}_${search.vectorColumn}_gin`)} on ${table} using gin (${column})`,
    ].map((sql) => ({ sql, params: [] }));
  });
}

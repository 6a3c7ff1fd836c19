/**
 * The FTS5 index of a model's search field: an external-content table that
 * reads the model's table, and triggers that keep it in sync. See
 * https://sqlite.org/fts5.html, section 4.4.3 (external content tables).
 */
import { searchFields, searchSpec, type CompiledQuery, type ModelMeta, type SearchSpec } from "@chakra-orm/core";

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Returns the name of the FTS5 table of a model's table. */
export function fts5Table(table: string): string {
  return `${table}_fts`;
}

/** Returns the column that the FTS5 table indexes as its rowid. */
export function fts5RowidColumn(search: SearchSpec): string {
  return search.rowidColumn ?? "rowid";
}

/**
 * FTS5 has no language setting: "english" selects the porter stemmer,
 * which PostgreSQL's english configuration also applies, and every other
 * language plain unicode61 tokens.
 */
function tokenizer(language: string): string {
  return language === "english" ? "porter unicode61 remove_diacritics 2" : "unicode61 remove_diacritics 2";
}

/** Statements that create the FTS5 table and its triggers if missing. */
export function fts5CreateStatements(meta: ModelMeta): CompiledQuery[] {
  const [field] = searchFields(meta);

  if (!field) {
    return [];
  }

  return fts5IndexStatements(searchSpec(meta, field, meta.table));
}

/** Statements that create one search index's FTS5 table and triggers if missing. */
export function fts5IndexStatements(search: SearchSpec): CompiledQuery[] {
  const fts = fts5Table(search.table);
  const rowid = fts5RowidColumn(search);
  const columns = search.columns.map((item) => quote(item.column));
  const table = quote(search.table);
  const newValues = [`new.${quote(rowid)}`, ...columns.map((name) => `new.${name}`)].join(", ");
  const oldValues = [`old.${quote(rowid)}`, ...columns.map((name) => `old.${name}`)].join(", ");
  const insertNew = `insert into ${quote(fts)} (rowid, ${columns.join(", ")}) values (${newValues});`;
  const deleteOld = `insert into ${quote(fts)} (${quote(fts)}, rowid, ${columns.join(", ")}) values ('delete', ${oldValues});`;
  const watched = [...new Set([quote(rowid), ...columns])].filter((name) => name !== '"rowid"');
  const statements = [
    `create virtual table if not exists ${quote(fts)} using fts5(${columns.join(", ")}, content=${literal(search.table)}, content_rowid=${literal(rowid)}, tokenize=${literal(tokenizer(search.language))})`,
    // Indexes rows that existed before the FTS5 table did, once: the index
    // is empty (no row in its _docsize table) while the table has rows.
    `insert into ${quote(fts)} (${quote(fts)}) select 'rebuild' where exists (select 1 from ${table}) and not exists (select 1 from ${quote(`${fts}_docsize`)})`,
    `create trigger if not exists ${quote(`${fts}_ai`)} after insert on ${table} begin ${insertNew} end`,
    `create trigger if not exists ${quote(`${fts}_ad`)} after delete on ${table} begin ${deleteOld} end`,
    `create trigger if not exists ${quote(`${fts}_au`)} after update of ${watched.join(", ")} on ${table} begin ${deleteOld} ${insertNew} end`,
  ];

  return statements.map((sql) => ({ sql, params: [] }));
}

/** Drops the FTS5 table; SQLite drops the triggers with the model's table. */
export function fts5DropStatements(meta: ModelMeta): CompiledQuery[] {
  if (searchFields(meta).length === 0) {
    return [];
  }

  return [{ sql: `drop table if exists ${quote(fts5Table(meta.table))}`, params: [] }];
}

/**
 * Drops the triggers and the FTS5 table of a search index while its
 * model's table stays, as a migration that removes the search field needs.
 */
export function fts5RemoveStatements(search: SearchSpec): CompiledQuery[] {
  const fts = fts5Table(search.table);
  const triggers = ["ai", "ad", "au"].map((suffix) => `drop trigger if exists ${quote(`${fts}_${suffix}`)}`);

  return [...triggers, `drop table if exists ${quote(fts)}`].map((sql) => ({ sql, params: [] }));
}

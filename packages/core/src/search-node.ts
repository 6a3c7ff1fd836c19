/** AST nodes of full-text search, compiled by each dialect. */
import type { SearchWeight } from "./search-options.js";

/**
 * Syntax of the query text. `plain` and `phrase` accept any user string on
 * every dialect, and the others pass the database's own syntax through.
 */
export type SearchMode = "plain" | "phrase" | "websearch" | "raw" | "natural";

/** One model's search declaration, resolved to table and column names. */
export interface SearchSpec {
  table: string;
  /** Alias of the table in the statement being compiled. */
  alias: string;
  /** The integer primary key column, or undefined to use SQLite's rowid. */
  rowidColumn: string | undefined;
  /** PostgreSQL's generated tsvector column. */
  vectorColumn: string;
  columns: readonly { column: string; weight: SearchWeight | undefined }[];
  /** A bare identifier, checked by `field.search()`. */
  language: string;
}

export interface SearchQueryNode {
  text: string;
  mode: SearchMode;
}

/** True where the row matches the search query. */
export interface SearchMatchNode {
  kind: "searchMatch";
  search: SearchSpec;
  query: SearchQueryNode;
}

/** The relevance of the row to the query; higher is better on every dialect. */
export interface SearchRankNode {
  kind: "searchRank";
  search: SearchSpec;
  query: SearchQueryNode;
}

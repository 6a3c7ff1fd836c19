/** Compiles search matches and ranks against a model's FTS5 table. */
import {
  NotSupportedError,
  searchTerms,
  type SearchMatchNode,
  type SearchRankNode,
  type SearchWeight,
  type SqlBuilder,
} from "@chakra-orm/core";
import { fts5RowidColumn, fts5Table } from "./fts5-schema.js";

/** bm25() column weights, in the ratio of PostgreSQL's default ts_rank weights. */
const WEIGHTS: Record<SearchWeight, string> = { A: "1.0", B: "0.4", C: "0.2", D: "0.1" };

/** Quotes text as an FTS5 string, inside which every character is a token character or a separator. */
function fts5String(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Turns query text into FTS5 query syntax. Plain text becomes one quoted
 * string per word, which FTS5 joins with AND, and a phrase one quoted
 * string, so no user input is read as an operator.
 */
export function fts5Query(text: string, mode: SearchMatchNode["query"]["mode"]): string {
  switch (mode) {
    case "plain":
      return searchTerms(text).map(fts5String).join(" ");
    case "phrase":
      return fts5String(searchTerms(text).join(" "));
    case "raw":
      return text;
    default:
      throw new NotSupportedError(
        `Search mode "${mode}" is not supported on sqlite. Use "plain", "phrase" or "raw" (FTS5 query syntax).`,
        { dialect: "sqlite" },
      );
  }
}

/** Writes `alias.pk in (select rowid from table_fts where table_fts match ?)`. */
export function compileFts5Match(out: SqlBuilder, node: SearchMatchNode): void {
  const { search, query } = node;
  const fts = fts5Table(search.table);

  out.identifier(search.alias).text(".").identifier(fts5RowidColumn(search));
  out.text(" in (select rowid from ").identifier(fts).text(" where ").identifier(fts).text(" match ");
  out.rawParam(fts5Query(query.text, query.mode)).text(")");
}

/**
 * Writes the negated bm25() of the row, so higher is better as on the
 * other dialects. bm25() needs a MATCH in its own query, hence the
 * correlated subquery; a row that does not match ranks NULL.
 */
export function compileFts5Rank(out: SqlBuilder, node: SearchRankNode): void {
  const { search, query } = node;
  const fts = fts5Table(search.table);
  const weights = search.columns.map((item) => WEIGHTS[item.weight ?? "A"]);

  out.text("(select -bm25(").identifier(fts).text(`, ${weights.join(", ")}) from `).identifier(fts);
  out.text(" where ").identifier(fts).text(" match ").rawParam(fts5Query(query.text, query.mode));
  out.text(" and rowid = ").identifier(search.alias).text(".").identifier(fts5RowidColumn(search)).text(")");
}

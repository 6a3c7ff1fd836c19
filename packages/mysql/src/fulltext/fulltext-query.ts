/** Compiles search matches and ranks into MATCH ... AGAINST on MySQL and MariaDB. */
import {
  NotSupportedError,
  searchTerms,
  type SearchMatchNode,
  type SearchRankNode,
  type SearchSpec,
  type SqlBuilder,
} from "@chakra-orm/core";

/**
 * InnoDB's default stopwords (information_schema.INNODB_FT_DEFAULT_STOPWORD,
 * the same 36 words on MariaDB 10.11 and MySQL 8).
 */
const STOPWORDS = new Set(
  "a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www".split(" "),
);

// NOTE: 3 is the default innodb_ft_min_token_size. A server with another
// value or a custom stopword table may require words that it never indexed,
// and then a plain query matches nothing.
const MIN_TOKEN_LENGTH = 3;

/** Quotes text as a boolean-mode phrase. The double quote has no escape there, so it is dropped. */
function booleanPhrase(text: string): string {
  return `"${text.replace(/"/g, " ")}"`;
}

/** True when InnoDB indexes the word, so a query can require it. */
function isIndexed(word: string): boolean {
  const pieces = word.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);

  return pieces.some((piece) => [...piece].length >= MIN_TOKEN_LENGTH && !STOPWORDS.has(piece));
}

/**
 * Turns plain text into a boolean-mode query that requires every word, as
 * PostgreSQL's plainto_tsquery and FTS5 do. Each word becomes a quoted
 * phrase, so `-`, `*` or an unbalanced quote in user input is never read
 * as an operator. A word InnoDB does not index (a stopword, or shorter
 * than the minimum token length) stays optional: required, it would match
 * nothing.
 */
export function booleanQuery(text: string): string | undefined {
  const terms = searchTerms(text);

  if (!terms.some(isIndexed)) {
    return undefined;
  }

  return terms.map((term) => `${isIndexed(term) ? "+" : ""}${booleanPhrase(term)}`).join(" ");
}

/** Writes `match (alias.search_vector) against (`: the generated column of fulltext-schema.ts. */
function matchColumns(out: SqlBuilder, search: SearchSpec): void {
  out.text("match (").identifier(search.alias).text(".").identifier(search.vectorColumn).text(") against (");
}

/** Writes MATCH ... AGAINST in boolean mode, or natural language mode for `natural`. */
export function compileFulltextMatch(out: SqlBuilder, node: SearchMatchNode): void {
  const { search, query } = node;
  let text: string | undefined;

  switch (query.mode) {
    case "plain":
      text = booleanQuery(query.text);
      break;
    case "phrase":
      text = booleanPhrase(searchTerms(query.text).join(" "));
      break;
    case "raw":
      text = query.text;
      break;
    case "natural":
      matchColumns(out, search);
      out.rawParam(query.text).text(" in natural language mode) > 0");

      return;
    default:
      throw new NotSupportedError(
        `Search mode "${query.mode}" is not supported on mysql. Use "plain", "phrase", "natural" or "raw" (boolean mode syntax).`,
        { dialect: "mysql" },
      );
  }

  if (text === undefined) {
    out.text("1 = 0");

    return;
  }

  matchColumns(out, search);
  out.rawParam(text).text(" in boolean mode)");
}

/**
 * Writes the relevance of the row: MATCH ... AGAINST in natural language
 * mode over the query's words (boolean mode for `raw`).
 * NOTE: the index covers one column that joins the indexed fields, so
 * their weights do not change the rank on MySQL.
 */
export function compileFulltextRank(out: SqlBuilder, node: SearchRankNode): void {
  const { search, query } = node;

  if (query.mode === "websearch") {
    throw new NotSupportedError('Search mode "websearch" is not supported on mysql. Use "plain", "phrase", "natural" or "raw".', {
      dialect: "mysql",
    });
  }

  matchColumns(out, search);

  if (query.mode === "raw") {
    out.rawParam(query.text).text(" in boolean mode)");

    return;
  }

  const words = query.mode === "natural" ? query.text : searchTerms(query.text).join(" ");
  out.rawParam(words).text(" in natural language mode)");
}

/** Compiles search matches and ranks against the generated tsvector column. */
import {
  NotSupportedError,
  type SearchMatchNode,
  type SearchMode,
  type SearchRankNode,
  type SqlBuilder,
} from "@chakra-orm/core";

const TSQUERY_FUNCTIONS: Partial<Record<SearchMode, string>> = {
  plain: "plainto_tsquery",
  phrase: "phraseto_tsquery",
  websearch: "websearch_to_tsquery",
  raw: "to_tsquery",
};

/** Writes `plainto_tsquery($1::regconfig, $2)` or the function of another mode. */
function tsquery(out: SqlBuilder, node: SearchMatchNode | SearchRankNode): void {
  const name = TSQUERY_FUNCTIONS[node.query.mode];

  if (name === undefined) {
    throw new NotSupportedError(
      `Search mode "${node.query.mode}" is not supported on postgres. Use "plain", "phrase", "websearch" or "raw" (tsquery syntax).`,
      { dialect: "postgres" },
    );
  }

  out.text(`${name}(`).rawParam(node.search.language).text("::regconfig, ").rawParam(node.query.text).text(")");
}

function vectorColumn(out: SqlBuilder, node: SearchMatchNode | SearchRankNode): void {
  out.identifier(node.search.alias).text(".").identifier(node.search.vectorColumn);
}

/** Writes `alias.search_vector @@ plainto_tsquery(...)`, which the GIN index serves. */
export function compileSearchMatch(out: SqlBuilder, node: SearchMatchNode): void {
  vectorColumn(out, node);
  out.text(" @@ ");
  tsquery(out, node);
}

/** Writes `ts_rank(alias.search_vector, plainto_tsquery(...))`. */
export function compileSearchRank(out: SqlBuilder, node: SearchRankNode): void {
  out.text("ts_rank(");
  vectorColumn(out, node);
  out.text(", ");
  tsquery(out, node);
  out.text(")");
}

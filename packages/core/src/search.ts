/**
 * Full-text search across dialects: the `matches` lookup of a search field,
 * query text with a mode, and the SearchRank expression. Dialect packages
 * compile the nodes built here (search-node.ts).
 */
import type { ExpressionNode, WhereNode } from "./ast.js";
import { ValidationError, describeValue } from "./errors.js";
import { Expression, type Reader } from "./expressions.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import type { Scope } from "./query-builder.js";
import type { SearchMode, SearchQueryNode, SearchSpec } from "./search-node.js";
import { checkSearchOptions, type SearchFieldOptions } from "./search-options.js";

const MODES: readonly SearchMode[] = ["plain", "phrase", "websearch", "raw", "natural"];

/** Query text with the mode it is read in; build it with `SearchQuery()`. */
export class SearchQueryValue {
  constructor(
    readonly text: string,
    readonly mode: SearchMode,
  ) {}
}

/** Input of `search__matches` and `SearchRank`: plain text or a SearchQuery. */
export type SearchInput = string | SearchQueryValue;

/**
 * Builds search query text read in a given mode. `plain` (the default for
 * a string) requires every word, and `phrase` the words in order; both
 * accept any user string on every dialect. `websearch` is PostgreSQL's
 * websearch_to_tsquery, `natural` MySQL's natural language mode (any word),
 * and `raw` passes the database's own syntax through: a tsquery on
 * PostgreSQL, an FTS5 query on SQLite, a boolean-mode query on MySQL.
 *
 * @example
 * Post.objects.filter({ search__matches: SearchQuery('"query planner" -mysql', { mode: "websearch" }) })
 */
export function SearchQuery(text: string, options: { mode?: SearchMode } = {}): SearchQueryValue {
  const mode = options.mode ?? "plain";

  if (typeof text !== "string") {
    throw new ValidationError(`SearchQuery(): invalid text ${describeValue(text)}. Pass a string.`, { value: text });
  }

  if (!MODES.includes(mode)) {
    throw new ValidationError(`SearchQuery(): invalid mode ${describeValue(mode)}. Use one of ${MODES.join(", ")}.`, {
      value: mode,
    });
  }

  return new SearchQueryValue(text, mode);
}

const WORD = /[\p{L}\p{N}]/u;

/**
 * Splits plain query text at white space and keeps the pieces that contain
 * a letter or a digit. Dialects quote each piece, so no character of user
 * input is read as query syntax.
 */
export function searchTerms(text: string): string[] {
  return text.split(/\s+/u).filter((piece) => WORD.test(piece));
}

function toQueryNode(caller: string, item: unknown): SearchQueryNode {
  if (typeof item === "string") {
    return { text: item, mode: "plain" };
  }

  if (item instanceof SearchQueryValue) {
    return { text: item.text, mode: item.mode };
  }

  throw new ValidationError(
    `${caller}: invalid search query ${describeValue(item)}. Pass a string or SearchQuery("...", { mode }).`,
    { value: item },
  );
}

/** True when plain or phrase text has no word, so nothing can match. */
function isEmptyQuery(query: SearchQueryNode): boolean {
  return (query.mode === "plain" || query.mode === "phrase") && searchTerms(query.text).length === 0;
}

/** Resolves a search field of `meta` to the names the dialects need. */
export function searchSpec(meta: ModelMeta, field: Field, alias: string): SearchSpec {
  const options = field.options as unknown as SearchFieldOptions;
  const { sources, language } = checkSearchOptions(options);
  const columns = sources.map((source) => {
    const target = meta.field(source.name);

    if (!target || !target.hasColumn || !["string", "text"].includes(target.kind)) {
      throw new ValidationError(
        `${meta.name}.${field.name}: "${source.name}" is not a string or text field of ${meta.name}. Index string and text fields only.`,
        { model: meta.name, field: source.name },
      );
    }

    return { column: target.column, weight: source.weight };
  });
  const integerKey = ["id", "integer", "bigInteger"].includes(meta.pk.kind);

  return {
    table: meta.table,
    alias,
    rowidColumn: integerKey ? meta.pk.column : undefined,
    vectorColumn: field.column,
    columns,
    language,
  };
}

/** Returns the search fields of a model. Dialects build one index for each. */
export function searchFields(meta: ModelMeta): Field[] {
  return meta.fields.filter((item) => item.kind === "search");
}

/**
 * Builds `search__matches: text`. SQLite and MySQL keep one index per
 * table, so a model may declare one search field.
 */
export function buildSearchMatch(scope: Scope, key: string, field: Field, parts: string[], item: unknown): WhereNode {
  if (parts.length !== 1 || parts[0] !== "matches") {
    throw new ValidationError(
      `${scope.caller}: invalid lookup "${key}" on the search field ${scope.meta.name}.${field.name}. Use "${field.name}__matches".`,
      { model: scope.meta.name, field: field.name, value: key },
    );
  }

  const query = toQueryNode(scope.caller, item);

  if (isEmptyQuery(query)) {
    return { kind: "constant", value: false };
  }

  return { kind: "searchMatch", search: onlySearchSpec(scope, field.name), query };
}

function onlySearchSpec(scope: Scope, name: string | undefined): SearchSpec {
  const fields = searchFields(scope.meta);
  const chosen = name === undefined ? fields[0] : fields.find((item) => item.name === name);

  if (fields.length > 1) {
    throw new ValidationError(
      `${scope.meta.name} declares ${fields.length} search fields (${fields.map((item) => item.name).join(", ")}). Declare one field.search() that lists every indexed field.`,
      { model: scope.meta.name },
    );
  }

  if (!chosen) {
    throw new ValidationError(
      `${scope.caller}: ${scope.meta.name} has no search field${name === undefined ? "" : ` named "${name}"`}. Declare one with field.search({ fields: [...] }).`,
      { model: scope.meta.name, field: name },
    );
  }

  return searchSpec(scope.meta, chosen, scope.alias);
}

const toNumber: Reader = (raw) => (raw === null ? null : Number(raw));

/** The relevance of each row to a search query; see `SearchRank()`. */
export class SearchRankExpression extends Expression<number> {
  constructor(
    readonly query: SearchInput,
    readonly field: string | undefined,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    const query = toQueryNode("SearchRank()", this.query);
    const search = onlySearchSpec(scope, this.field);

    if (isEmptyQuery(query)) {
      return { kind: "value", value: 0 };
    }

    return { kind: "searchRank", search, query };
  }

  override reader(): Reader {
    return toNumber;
  }
}

/**
 * Ranks rows by relevance to a search query, higher is better on every
 * dialect: ts_rank on PostgreSQL, MATCH ... AGAINST in natural language
 * mode on MySQL, and bm25() negated on SQLite. A row that does not match
 * ranks 0 on PostgreSQL and MySQL and NULL on SQLite, so filter with
 * `search__matches` as well. `field` picks the search field by name.
 *
 * @example
 * Post.objects
 *   .filter({ search__matches: "orm joins" })
 *   .annotate({ rank: SearchRank("orm joins") })
 *   .orderBy("-rank");
 */
export function SearchRank(query: SearchInput, options: { field?: string } = {}): SearchRankExpression {
  return new SearchRankExpression(query, options.field);
}

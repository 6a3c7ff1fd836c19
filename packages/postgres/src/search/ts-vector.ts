/**
 * PostgreSQL's text search types as Chakra fields and expressions: a stored
 * tsvector column, the functions that build tsvector and tsquery values,
 * and ts_rank.
 */
import {
  Expression,
  Field,
  FieldRef,
  ValueExpression,
  isExpression,
  type ExpressionNode,
  type Reader,
} from "@chakra-orm/core";

/** The query scope an expression builds its node in (core keeps the class internal). */
type Scope = Parameters<Expression["toNode"]>[0];

/** Options of `tsVector()`. */
export interface TsVectorOptions {
  nullable?: boolean;
  /** Text search configuration for plain-text `__matches` values. Default "english". */
  config?: string;
  column?: string;
}

type Nullable<O> = O extends { nullable: true } ? true : false;

/**
 * A tsvector column. Instances read it as PostgreSQL's text form
 * (`'join':2 'orm':1`); `__matches` takes plain text or a tsquery expression.
 */
export type TsVectorField<O> = Field<string, Nullable<O>, true> & {
  readonly $lookups: { matches: string | Expression };
};

/**
 * Declares a stored tsvector column that the application fills, usually
 * from other columns with `update({ searchVector: toTsVector(...) })`.
 * Index it with `indexes: [{ fields: ["searchVector"], using: "gin" }]`.
 *
 * @example
 * searchVector: tsVector({ nullable: true }),
 * await Doc.objects.update({ searchVector: toTsVector("english", "body") });
 * await Doc.objects.filter({ searchVector__matches: websearchToTsQuery("english", "orm -mysql") });
 */
export function tsVector<const O extends TsVectorOptions = Record<never, never>>(options?: O): TsVectorField<O> {
  return new Field("tsVector", { ...options, lookups: ["matches"] }) as TsVectorField<O>;
}

const toNumber: Reader = (raw) => (raw === null ? null : Number(raw));

/**
 * A call of a text search function. A configuration comes first, bound as
 * `$n::regconfig`, because PostgreSQL has no implicit cast from text.
 */
export class TextSearchFunction<T> extends Expression<T> {
  constructor(
    readonly name: string,
    readonly config: string | undefined,
    readonly args: readonly Expression[],
    readonly output: Reader,
  ) {
    super();
  }

  toNode(scope: Scope): ExpressionNode {
    const args = this.args.map((arg) => arg.toNode(scope));

    if (this.config !== undefined) {
      args.unshift({ kind: "raw", parts: ["", "::regconfig"], params: [this.config] });
    }

    return { kind: "func", name: this.name, args };
  }

  override reader(): Reader {
    return this.output;
  }
}

/** Reads a string as a field path and passes an expression through. */
function fieldOrExpression(item: string | Expression): Expression {
  return typeof item === "string" ? new FieldRef(item) : item;
}

/** Binds a string as query text and passes an expression through. */
function textOrExpression(item: string | Expression): Expression {
  return isExpression(item) ? item : new ValueExpression(item);
}

/** `to_tsvector(config, field)`: a field path or a text expression as a tsvector. */
export function toTsVector(config: string, item: string | Expression): TextSearchFunction<string> {
  return new TextSearchFunction("to_tsvector", config, [fieldOrExpression(item)], null);
}

/** `setweight(vector, 'A')`: labels every lexeme of a tsvector with a weight. */
export function setWeight(vector: Expression, weight: "A" | "B" | "C" | "D"): TextSearchFunction<string> {
  const label = new RawWeight(weight);

  return new TextSearchFunction("setweight", undefined, [vector, label], null);
}

/** A weight letter, bound as PostgreSQL's one-byte "char" type. */
class RawWeight extends Expression<string> {
  constructor(readonly weight: "A" | "B" | "C" | "D") {
    super();
  }

  toNode(): ExpressionNode {
    return { kind: "raw", parts: ["", '::"char"'], params: [this.weight] };
  }
}

/** `plainto_tsquery(config, text)`: every word of the text, ANDed; never a syntax error. */
export function plainToTsQuery(config: string, text: string | Expression): TextSearchFunction<string> {
  return new TextSearchFunction("plainto_tsquery", config, [textOrExpression(text)], null);
}

/** `phraseto_tsquery(config, text)`: the words of the text in order. */
export function phraseToTsQuery(config: string, text: string | Expression): TextSearchFunction<string> {
  return new TextSearchFunction("phraseto_tsquery", config, [textOrExpression(text)], null);
}

/**
 * `websearch_to_tsquery(config, text)`: search-engine syntax (`"a phrase"`,
 * `or`, `-word`). PostgreSQL's manual states that it never raises a syntax
 * error, so it suits user input.
 */
export function websearchToTsQuery(config: string, text: string | Expression): TextSearchFunction<string> {
  return new TextSearchFunction("websearch_to_tsquery", config, [textOrExpression(text)], null);
}

/** `to_tsquery(config, text)`: tsquery syntax (`orm & !mysql`); raises on a syntax error. */
export function toTsQuery(config: string, text: string | Expression): TextSearchFunction<string> {
  return new TextSearchFunction("to_tsquery", config, [textOrExpression(text)], null);
}

/** `ts_rank(vector, query)`: relevance of a tsvector field or expression to a tsquery, higher is better. */
export function tsRank(vector: string | Expression, query: Expression): TextSearchFunction<number> {
  return new TextSearchFunction("ts_rank", undefined, [fieldOrExpression(vector), query], toNumber);
}

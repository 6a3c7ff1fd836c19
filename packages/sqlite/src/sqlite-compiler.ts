import {
  NotSupportedError,
  SqlCompiler,
  type CompiledQuery,
  storageField,
  type CastType,
  type ExpressionNode,
  type ExtractNode,
  type Field,
  type JsonLookupNode,
  type LookupNode,
  type SearchMatchNode,
  type SearchRankNode,
  type SqlBuilder,
} from "@chakra-orm/core";
import { compileFts5Match, compileFts5Rank } from "./fts5/fts5-query.js";
import { fromSqlite, sqliteColumnType, toSqlite } from "./sqlite-types.js";

const DATE_FORMATS = { year: "%Y", month: "%m", day: "%d" } as const;

/** Builds a JSON path such as `$."a"."b"` with every key quoted. */
export function sqliteJsonPath(path: readonly string[]): string {
  return `$${path.map((key) => (/^\d+$/.test(key) ? `[${key}]` : `."${key.replace(/[\\"]/g, (match) => `\\${match}`)}"`)).join("")}`;
}

/**
 * SQLite's compiler. Case-insensitive lookups call `chakra_lower`, a
 * function each connection registers, because SQLite's lower() folds only
 * ASCII; LIKE is made case-sensitive per connection for the same reason.
 */
export class SqliteCompiler extends SqlCompiler {
  readonly dialectName = "sqlite";

  toDriver(item: unknown, field: Field | undefined): unknown {
    return toSqlite(item, field);
  }

  fromDriver(field: Field): ((raw: unknown) => unknown) | null {
    return fromSqlite(field);
  }

  columnType(field: Field): string {
    return sqliteColumnType(field);
  }

  autoIncrementPrimaryKey(): string {
    return "integer primary key autoincrement";
  }

  /** Writes EXPLAIN QUERY PLAN. SQLite has no EXPLAIN ANALYZE, so `analyze` raises. */
  override explain(query: CompiledQuery, options: { analyze?: boolean }): CompiledQuery {
    if (options.analyze) {
      throw new NotSupportedError(
        "explain({ analyze: true }) is not supported on sqlite, which has no EXPLAIN ANALYZE. Call explain() without analyze for the query plan.",
        { dialect: this.dialectName },
      );
    }

    return { sql: `explain query plan ${query.sql}`, params: query.params };
  }

  override functionCall(out: SqlBuilder, name: string, args: readonly ExpressionNode[]): void {
    if (name === "now") {
      // The same ISO-8601 UTC text that date-time columns store.
      out.text("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");

      return;
    }

    super.functionCall(out, name, args);
  }

  override castType(type: CastType): string {
    const names: Record<CastType, string> = {
      integer: "integer",
      float: "real",
      decimal: "text",
      text: "text",
      date: "text",
      dateTime: "text",
    };

    return names[type];
  }

  override extract(out: SqlBuilder, part: ExtractNode["part"], expression: ExpressionNode): void {
    const formats = { year: "%Y", month: "%m", day: "%d", hour: "%H", minute: "%M", second: "%S" } as const;
    out.text(`cast(strftime('${formats[part]}', `);
    this.expression(out, expression);
    out.text(") as integer)");
  }

  // Decimals are stored as text, which would sort "97.00" after "263.50";
  // ordering reads them as numbers instead.
  override orderItem(out: SqlBuilder, expression: ExpressionNode, descending: boolean): void {
    const field = expression.kind === "column" && expression.field ? storageField(expression.field) : undefined;

    if (field?.kind === "decimal") {
      super.orderItem(out, { kind: "func", name: "cast_real", args: [expression] }, descending);

      return;
    }

    super.orderItem(out, expression, descending);
  }

  // SQLite accepts OFFSET only after a LIMIT; -1 means no limit.
  override limitOffset(out: SqlBuilder, limit: number | undefined, offset: number | undefined): void {
    if (limit === undefined && offset !== undefined && offset > 0) {
      out.text(" limit -1 offset ").rawParam(offset);

      return;
    }

    super.limitOffset(out, limit, offset);
  }

  override caseFolded(out: SqlBuilder, node: ExpressionNode): void {
    out.text("chakra_lower(");
    this.expression(out, node);
    out.text(")");
  }

  override caseFoldedParam(out: SqlBuilder, item: unknown): void {
    out.text("chakra_lower(").rawParam(String(item)).text(")");
  }

  override regex(out: SqlBuilder, lhs: ExpressionNode, pattern: string, insensitive: boolean): void {
    out.text("chakra_regexp(").rawParam(pattern).text(", ");
    this.expression(out, lhs);
    out.text(`, ${insensitive ? 1 : 0})`);
  }

  override datePart(out: SqlBuilder, part: "year" | "month" | "day", lhs: ExpressionNode): void {
    out.text(`cast(strftime('${DATE_FORMATS[part]}', `);
    this.expression(out, lhs);
    out.text(") as integer)");
  }

  // NOTE: decimals are stored as text, so comparisons cast both sides to
  // REAL; values beyond 15 significant digits compare approximately.
  override lookup(out: SqlBuilder, node: LookupNode): void {
    const field = node.field ? storageField(node.field) : undefined;

    if (field?.kind === "decimal" && ["gt", "gte", "lt", "lte", "range"].includes(node.lookup)) {
      const cast: ExpressionNode = { kind: "func", name: "cast_real", args: [node.lhs] };
      const numeric = Array.isArray(node.value) ? node.value.map(Number) : Number(node.value);
      super.lookup(out, { ...node, lhs: cast, field: undefined, value: numeric });

      return;
    }

    super.lookup(out, node);
  }

  override expression(out: SqlBuilder, node: ExpressionNode): void {
    if (node.kind === "func" && node.name === "cast_real") {
      out.text("cast(");
      this.expression(out, node.args[0]!);
      out.text(" as real)");

      return;
    }

    super.expression(out, node);
  }

  override searchMatch(out: SqlBuilder, node: SearchMatchNode): void {
    compileFts5Match(out, node);
  }

  override searchRank(out: SqlBuilder, node: SearchRankNode): void {
    compileFts5Rank(out, node);
  }

  override jsonLookup(out: SqlBuilder, node: JsonLookupNode): void {
    const extracted: ExpressionNode = {
      kind: "func",
      name: "json_extract",
      args: [node.lhs, { kind: "value", value: sqliteJsonPath(node.path) }],
    };

    if (node.value === null && node.lookup === "exact") {
      this.expression(out, extracted);
      out.text(" is null");

      return;
    }

    if (typeof node.value === "object" && node.value !== null && node.lookup === "exact") {
      this.expression(out, extracted);
      out.text(" = json(").rawParam(JSON.stringify(node.value)).text(")");

      return;
    }

    this.lookup(out, { kind: "lookup", lookup: node.lookup, lhs: extracted, value: node.value, field: undefined });
  }
}

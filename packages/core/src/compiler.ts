import type {
  AggregateNode,
  CastType,
  CteNode,
  DeleteNode,
  ExtractNode,
  WindowNode,
  ExpressionNode,
  FieldLookupNode,
  InsertNode,
  JoinNode,
  JsonLookupNode,
  LookupNode,
  OnConflictNode,
  SelectNode,
  StatementNode,
  UpdateNode,
  WhereNode,
} from "./ast.js";
import type { CompiledQuery } from "./dialect.js";
import { NotSupportedError, ValidationError, describeValue } from "./errors.js";
import type { Field } from "./fields.js";
import type { SearchMatchNode, SearchRankNode } from "./search-node.js";

/** Accumulates SQL text and bound parameters for one statement. */
export class SqlBuilder {
  sql = "";
  readonly params: unknown[] = [];

  constructor(readonly compiler: SqlCompiler) {}

  text(fragment: string): this {
    this.sql += fragment;

    return this;
  }

  /** Appends a placeholder and binds `item`, converted for `field`. */
  param(item: unknown, field?: Field): this {
    this.params.push(this.compiler.toDriver(item, field));
    this.sql += this.compiler.placeholder(this.params.length);

    return this;
  }

  /** Binds a value exactly as given, with no field conversion. */
  rawParam(item: unknown): this {
    this.params.push(item);
    this.sql += this.compiler.placeholder(this.params.length);

    return this;
  }

  identifier(name: string): this {
    this.sql += this.compiler.quoted(name);

    return this;
  }

  join<T>(items: readonly T[], separator: string, each: (item: T, index: number) => void): this {
    items.forEach((item, index) => {
      if (index > 0) {
        this.sql += separator;
      }

      each(item, index);
    });

    return this;
  }

  build(): CompiledQuery {
    return { sql: this.sql, params: this.params };
  }
}

/** Escapes LIKE wildcards with `!`, so `50%` matches the text "50%" only. */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (match) => `!${match}`);
}

const LIKE_PATTERNS: Record<string, (text: string) => string> = {
  contains: (text) => `%${escapeLike(text)}%`,
  icontains: (text) => `%${escapeLike(text)}%`,
  startswith: (text) => `${escapeLike(text)}%`,
  istartswith: (text) => `${escapeLike(text)}%`,
  endswith: (text) => `%${escapeLike(text)}`,
  iendswith: (text) => `%${escapeLike(text)}`,
};

const QUOTE_MEMO_LIMIT = 10_000;

const COMPARISONS: Record<string, string> = {
  exact: "=",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
};

/**
 * Turns AST nodes into SQL text and parameters. The base class writes
 * standard SQL; a dialect subclass overrides only where its SQL differs.
 */
export abstract class SqlCompiler {
  abstract readonly dialectName: string;

  /** Quotes an identifier, doubling the quote character inside it. */
  quote(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  readonly #quoted = new Map<string, string>();

  /**
   * Returns quote(name) from a memo, because a query quotes the same table
   * and column names every time it compiles. The memo stops growing at
   * QUOTE_MEMO_LIMIT names, so generated aliases cannot fill memory.
   */
  quoted(name: string): string {
    let found = this.#quoted.get(name);

    if (found === undefined) {
      found = this.quote(name);

      if (this.#quoted.size < QUOTE_MEMO_LIMIT) {
        this.#quoted.set(name, found);
      }
    }

    return found;
  }

  /** Returns the placeholder for the parameter at 1-based `index`. */
  placeholder(_index: number): string {
    return "?";
  }

  /** Converts a JS value into what the driver binds for a field. */
  abstract toDriver(item: unknown, field: Field | undefined): unknown;

  /** Returns a function that converts a driver value read from a column. */
  abstract fromDriver(field: Field): ((raw: unknown) => unknown) | null;

  /** The SQL type of a field's column. */
  abstract columnType(field: Field): string;

  /** The type and constraints of an auto-increment primary key column. */
  abstract autoIncrementPrimaryKey(field: Field): string;

  /** Returns a CHECK expression for a column, such as the values of an enum. */
  columnCheck(field: Field): string | undefined {
    if (field.kind === "enum") {
      const values = (field.options.choices as readonly string[]).map(
        (choice) => `'${choice.replace(/'/g, "''")}'`,
      );

      return `${this.quote(field.column)} in (${values.join(", ")})`;
    }

    return undefined;
  }

  /** Text after the closing parenthesis of CREATE TABLE. */
  createTableSuffix(): string {
    return "";
  }

  /** `using` names an index method such as "gin", which only PostgreSQL accepts. */
  createIndex(name: string, table: string, columns: readonly string[], unique: boolean, using?: string): string {
    if (using !== undefined) {
      throw new NotSupportedError(
        `Index method "${using}" (index ${name} on ${table}) is not supported on ${this.dialectName}. Remove "using" from the index options.`,
        { dialect: this.dialectName },
      );
    }

    return `create ${unique ? "unique " : ""}index if not exists ${this.quote(name)} on ${this.quote(table)} (${columns.map((item) => this.quote(item)).join(", ")})`;
  }

  dropTable(table: string): string {
    return `drop table if exists ${this.quote(table)}`;
  }

  compile(node: StatementNode): CompiledQuery {
    const builder = new SqlBuilder(this);

    switch (node.kind) {
      case "select":
        this.select(builder, node);
        break;
      case "insert":
        this.insert(builder, node);
        break;
      case "update":
        this.update(builder, node);
        break;
      case "delete":
        this.delete(builder, node);
        break;
      default:
        assertNever(node);
    }

    return builder.build();
  }

  /** Counts the rows of a SELECT by wrapping it in a subquery. */
  compileCountOf(node: SelectNode): CompiledQuery {
    const builder = new SqlBuilder(this);
    builder.text("select count(*) from (");
    this.select(builder, node);
    builder.text(") as ").identifier("counted");

    return builder.build();
  }

  select(out: SqlBuilder, node: SelectNode): void {
    if (node.ctes && node.ctes.length > 0) {
      this.ctes(out, node.ctes);
    }

    out.text(node.distinct ? "select distinct " : "select ");

    if (node.columns.length === 0) {
      out.text("1");
    }

    out.join(node.columns, ", ", (item) => {
      this.expression(out, item.expression);

      if (item.alias) {
        out.text(" as ").identifier(item.alias);
      }
    });

    out.text(" from ");
    this.tableReference(out, node.table, node.alias);

    for (const join of node.joins) {
      this.join(out, join);
    }

    if (node.where) {
      out.text(" where ");
      this.where(out, node.where);
    }

    if (node.groupBy.length > 0) {
      out.text(" group by ");
      out.join(node.groupBy, ", ", (item) => this.expression(out, item));
    }

    if (node.having) {
      out.text(" having ");
      this.where(out, node.having);
    }

    if (node.orderBy.length > 0) {
      out.text(" order by ");
      out.join(node.orderBy, ", ", (item) => this.orderItem(out, item.expression, item.descending));
    }

    this.limitOffset(out, node.limit, node.offset);

    if (node.lock) {
      this.lock(out, node);
    }
  }

  tableReference(out: SqlBuilder, table: string, alias: string): void {
    out.identifier(table);

    if (alias !== table) {
      out.text(" as ").identifier(alias);
    }
  }

  join(out: SqlBuilder, join: JoinNode): void {
    out.text(join.type === "left" ? " left join " : " inner join ");
    this.tableReference(out, join.table, join.alias);
    out.text(" on ");
    this.where(out, join.on);
  }

  orderItem(out: SqlBuilder, expression: ExpressionNode, descending: boolean): void {
    this.expression(out, expression);

    if (descending) {
      out.text(" desc");
    }
  }

  limitOffset(out: SqlBuilder, limit: number | undefined, offset: number | undefined): void {
    if (limit !== undefined) {
      out.text(" limit ").rawParam(limit);
    }

    if (offset !== undefined && offset > 0) {
      out.text(" offset ").rawParam(offset);
    }
  }

  lock(out: SqlBuilder, node: SelectNode): void {
    const lock = node.lock!;
    out.text(" for update");

    if (lock.of.length > 0) {
      out.text(" of ");
      out.join(lock.of, ", ", (name) => out.identifier(name));
    }

    if (lock.nowait) {
      out.text(" nowait");
    } else if (lock.skipLocked) {
      out.text(" skip locked");
    }
  }

  insert(out: SqlBuilder, node: InsertNode): void {
    out.text("insert into ").identifier(node.table);

    if (node.columns.length === 0) {
      this.defaultValues(out, node);
    } else {
      out.text(" (");
      out.join(node.columns, ", ", (name) => out.identifier(name));
      out.text(") values ");
      out.join(node.rows, ", ", (row) => {
        out.text("(");
        out.join(row, ", ", (item) => this.expression(out, item));
        out.text(")");
      });
    }

    if (node.onConflict) {
      this.onConflict(out, node.onConflict);
    }

    this.returning(out, node.returning);
  }

  defaultValues(out: SqlBuilder, _node: InsertNode): void {
    out.text(" default values");
  }

  /**
   * Writes `on conflict (target) do update set col = excluded.col`, or
   * `do nothing` when no column is updated (PostgreSQL 9.5+, SQLite 3.24+).
   */
  onConflict(out: SqlBuilder, conflict: OnConflictNode): void {
    out.text(" on conflict (");
    out.join(conflict.target, ", ", (name) => out.identifier(name));
    out.text(")");

    if (conflict.update.length === 0) {
      out.text(" do nothing");

      return;
    }

    out.text(" do update set ");
    out.join(conflict.update, ", ", (name) => {
      out.identifier(name).text(" = excluded.").identifier(name);
    });
  }

  /**
   * Wraps a compiled SELECT in EXPLAIN, with ANALYZE when asked, which runs
   * the statement. Parameters stay as they are.
   */
  explain(query: CompiledQuery, options: { analyze?: boolean }): CompiledQuery {
    return { sql: `explain ${options.analyze ? "analyze " : ""}${query.sql}`, params: query.params };
  }

  returning(out: SqlBuilder, columns: string[]): void {
    if (columns.length > 0) {
      out.text(" returning ");
      out.join(columns, ", ", (name) => out.identifier(name));
    }
  }

  update(out: SqlBuilder, node: UpdateNode): void {
    out.text("update ").identifier(node.table).text(" set ");
    out.join(node.set, ", ", (item) => {
      out.identifier(item.column).text(" = ");
      this.expression(out, item.value);
    });

    if (node.where) {
      out.text(" where ");
      this.where(out, node.where);
    }

    this.returning(out, node.returning);
  }

  delete(out: SqlBuilder, node: DeleteNode): void {
    out.text("delete from ").identifier(node.table);

    if (node.where) {
      out.text(" where ");
      this.where(out, node.where);
    }

    this.returning(out, node.returning);
  }

  expression(out: SqlBuilder, node: ExpressionNode): void {
    switch (node.kind) {
      case "column":
        if (node.table !== undefined) {
          out.identifier(node.table).text(".");
        }

        out.identifier(node.column);
        break;
      case "value":
        out.param(node.value, node.field);
        break;
      case "raw":
        this.raw(out, node.parts, node.params);
        break;
      case "func":
        this.functionCall(out, node.name, node.args);
        break;
      case "aggregate":
        this.aggregate(out, node);
        break;
      case "subquery":
        out.text("(");
        this.select(out, node.query);
        out.text(")");
        break;
      case "binary":
        out.text("(");
        this.expression(out, node.left);
        out.text(` ${node.operator} `);
        this.expression(out, node.right);
        out.text(")");
        break;
      case "case":
        out.text("case");

        for (const when of node.whens) {
          out.text(" when ");
          this.where(out, when.condition);
          out.text(" then ");
          this.expression(out, when.result);
        }

        if (node.otherwise) {
          out.text(" else ");
          this.expression(out, node.otherwise);
        }

        out.text(" end");
        break;
      case "cast":
        this.cast(out, node.expression, node.type);
        break;
      case "extract":
        this.extract(out, node.part, node.expression);
        break;
      case "window":
        this.window(out, node);
        break;
      case "existsExpression":
        out.text("(case when exists (");
        this.select(out, node.query);
        out.text(") then 1 else 0 end)");
        break;
      case "condition":
        out.text("(case when ");
        this.where(out, node.where);
        out.text(" then 1 else 0 end)");
        break;
      case "searchRank":
        this.searchRank(out, node);
        break;
      default:
        assertNever(node);
    }
  }

  /**
   * Writes a function call. Names are the portable ones Chakra's function
   * expressions use (`lower`, `length`, `concat`, `now`, ...); a dialect
   * maps the ones its SQL spells differently.
   */
  functionCall(out: SqlBuilder, name: string, args: readonly ExpressionNode[]): void {
    out.text(`${name}(`);
    out.join(args, ", ", (arg) => this.expression(out, arg));
    out.text(")");
  }

  aggregate(out: SqlBuilder, node: AggregateNode): void {
    out.text(`${node.fn}(`);

    if (node.distinct) {
      out.text("distinct ");
    }

    // A filtered aggregate counts only the rows where the CASE yields a
    // value; every dialect supports this form, unlike FILTER (WHERE ...).
    if (node.filter) {
      out.text("case when ");
      this.where(out, node.filter);
      out.text(" then ");

      if (node.arg === "*") {
        out.text("1");
      } else {
        this.expression(out, node.arg);
      }

      out.text(" end");
    } else if (node.arg === "*") {
      out.text("*");
    } else {
      this.expression(out, node.arg);
    }

    out.text(")");
  }

  /** Returns the SQL type name for a CAST. */
  castType(type: CastType): string {
    const names: Record<CastType, string> = {
      integer: "integer",
      float: "double precision",
      decimal: "numeric",
      text: "text",
      date: "date",
      dateTime: "timestamp",
    };

    return names[type];
  }

  cast(out: SqlBuilder, expression: ExpressionNode, type: CastType): void {
    out.text("cast(");
    this.expression(out, expression);
    out.text(` as ${this.castType(type)})`);
  }

  extract(out: SqlBuilder, part: ExtractNode["part"], expression: ExpressionNode): void {
    out.text(`extract(${part} from `);
    this.expression(out, expression);
    out.text(")");
  }

  window(out: SqlBuilder, node: WindowNode): void {
    this.expression(out, node.fn);
    out.text(" over (");
    let started = false;

    if (node.partitionBy.length > 0) {
      out.text("partition by ");
      out.join(node.partitionBy, ", ", (item) => this.expression(out, item));
      started = true;
    }

    if (node.orderBy.length > 0) {
      out.text(started ? " order by " : "order by ");
      out.join(node.orderBy, ", ", (item) => this.orderItem(out, item.expression, item.descending));
      started = true;
    }

    if (node.frame) {
      out.text(`${started ? " " : ""}${node.frame.type} between ${frameBound(node.frame.start, "preceding")} and ${frameBound(node.frame.end, "following")}`);
    }

    out.text(")");
  }

  /** Writes `with [recursive] name (cols) as (...)` before a SELECT. */
  ctes(out: SqlBuilder, ctes: readonly CteNode[]): void {
    const recursive = ctes.some((item) => item.recursive !== undefined);
    out.text(recursive ? "with recursive " : "with ");
    out.join(ctes, ", ", (item) => {
      out.identifier(item.name);

      if (item.columns.length > 0) {
        out.text(" (");
        out.join(item.columns, ", ", (name) => out.identifier(name));
        out.text(")");
      }

      out.text(" as (");
      this.select(out, item.query);

      if (item.recursive) {
        out.text(" union all ");
        this.select(out, item.recursive);
      }

      out.text(")");
    });
    out.text(" ");
  }

  raw(out: SqlBuilder, parts: readonly string[], params: readonly unknown[]): void {
    parts.forEach((part, index) => {
      out.text(part);

      if (index < params.length) {
        out.rawParam(this.toDriver(params[index], undefined));
      }
    });
  }

  where(out: SqlBuilder, node: WhereNode): void {
    switch (node.kind) {
      case "and":
      case "or":
        out.text("(");
        out.join(node.items, node.kind === "and" ? " and " : " or ", (item) =>
          this.where(out, item),
        );
        out.text(")");
        break;
      case "not":
        out.text("not ");
        this.where(out, node.item);
        break;
      case "lookup":
        this.lookup(out, node);
        break;
      case "jsonLookup":
        this.jsonLookup(out, node);
        break;
      case "exists":
        out.text("exists (");
        this.select(out, node.query);
        out.text(")");
        break;
      case "inSubquery":
        this.expression(out, node.lhs);
        out.text(" in (");
        this.select(out, node.query);
        out.text(")");
        break;
      case "notTrue":
        out.text("(");
        this.where(out, node.item);
        out.text(") is not true");
        break;
      case "constant":
        out.text(node.value ? "1 = 1" : "1 = 0");
        break;
      case "rawWhere":
        out.text("(");
        this.expression(out, node.expression);
        out.text(")");
        break;
      case "fieldLookup":
        this.fieldLookup(out, node);
        break;
      case "searchMatch":
        this.searchMatch(out, node);
        break;
      default:
        assertNever(node);
    }
  }

  lookup(out: SqlBuilder, node: LookupNode): void {
    const { lookup, lhs, field } = node;
    const comparison = COMPARISONS[lookup];

    if (comparison) {
      this.comparison(out, lhs, comparison, node.value, field);

      return;
    }

    switch (lookup) {
      case "isnull":
        this.expression(out, lhs);
        out.text(node.value ? " is null" : " is not null");

        return;
      case "in":
        this.inList(out, lhs, node.value as unknown[], field);

        return;
      case "range": {
        const [low, high] = node.value as [unknown, unknown];
        this.expression(out, lhs);
        out.text(" between ").param(low, field).text(" and ").param(high, field);

        return;
      }
      case "iexact":
        this.caseFolded(out, lhs);
        out.text(" = ");
        this.caseFoldedParam(out, node.value);

        return;
      case "contains":
      case "startswith":
      case "endswith":
        this.like(out, lhs, LIKE_PATTERNS[lookup]!(String(node.value)), false);

        return;
      case "icontains":
      case "istartswith":
      case "iendswith":
        this.like(out, lhs, LIKE_PATTERNS[lookup]!(String(node.value)), true);

        return;
      case "regex":
      case "iregex":
        this.regex(out, lhs, String(node.value), lookup === "iregex");

        return;
      case "year":
      case "month":
      case "day":
        this.datePart(out, lookup, lhs);
        out.text(" = ").rawParam(node.value);

        return;
      default:
        throw new ValidationError(`Unknown lookup ${describeValue(lookup)}.`);
    }
  }

  comparison(
    out: SqlBuilder,
    lhs: ExpressionNode,
    operator: string,
    item: unknown,
    field: Field | undefined,
  ): void {
    this.expression(out, lhs);
    out.text(` ${operator} `);

    if (isExpressionNode(item)) {
      this.expression(out, item);
    } else {
      out.param(item, field);
    }
  }

  inList(out: SqlBuilder, lhs: ExpressionNode, items: unknown[], field: Field | undefined): void {
    if (items.length === 0) {
      out.text("1 = 0");

      return;
    }

    this.expression(out, lhs);
    out.text(" in (");
    out.join(items, ", ", (item) => out.param(item, field));
    out.text(")");
  }

  /** Lower-cases an expression the Unicode way. */
  caseFolded(out: SqlBuilder, node: ExpressionNode): void {
    out.text("lower(");
    this.expression(out, node);
    out.text(")");
  }

  caseFoldedParam(out: SqlBuilder, item: unknown): void {
    out.text("lower(").rawParam(String(item)).text(")");
  }

  like(out: SqlBuilder, lhs: ExpressionNode, pattern: string, insensitive: boolean): void {
    if (insensitive) {
      this.caseFolded(out, lhs);
      out.text(" like ");
      this.caseFoldedParam(out, pattern);
    } else {
      this.expression(out, lhs);
      out.text(" like ").rawParam(pattern);
    }

    out.text(" escape '!'");
  }

  regex(out: SqlBuilder, lhs: ExpressionNode, pattern: string, insensitive: boolean): void {
    this.expression(out, lhs);
    out.text(insensitive ? " ~* " : " ~ ").rawParam(pattern);
  }

  datePart(out: SqlBuilder, part: "year" | "month" | "day", lhs: ExpressionNode): void {
    out.text(`extract(${part} from `);
    this.expression(out, lhs);
    out.text(")");
  }

  /** Compiles a lookup declared by a field kind; dialects override for the ones they support. */
  fieldLookup(_out: SqlBuilder, node: FieldLookupNode): void {
    throw new NotSupportedError(
      `The ${node.lookup} lookup on ${node.field.label} (${node.field.kind}) is not supported on ${this.dialectName}.`,
      { dialect: this.dialectName, field: node.field.name },
    );
  }

  /** Compiles a full-text match; each dialect package overrides it. */
  searchMatch(_out: SqlBuilder, node: SearchMatchNode): void {
    throw new NotSupportedError(
      `Full-text search on ${node.search.table} is not supported on ${this.dialectName}.`,
      { dialect: this.dialectName },
    );
  }

  /** Compiles a full-text rank; each dialect package overrides it. */
  searchRank(_out: SqlBuilder, node: SearchRankNode): void {
    throw new NotSupportedError(
      `Full-text ranking on ${node.search.table} is not supported on ${this.dialectName}.`,
      { dialect: this.dialectName },
    );
  }

  jsonLookup(_out: SqlBuilder, node: JsonLookupNode): void {
    throw new NotSupportedError(
      `JSON key path lookups are not supported on ${this.dialectName} (path ${node.path.join(".")}).`,
      { dialect: this.dialectName },
    );
  }
}

export function isExpressionNode(item: unknown): item is ExpressionNode {
  return (
    typeof item === "object" &&
    item !== null &&
    typeof (item as { kind?: unknown }).kind === "string" &&
    [
      "column",
      "value",
      "raw",
      "func",
      "aggregate",
      "subquery",
      "binary",
      "case",
      "cast",
      "extract",
      "window",
      "existsExpression",
      "condition",
      "searchRank",
    ].includes(
      (item as { kind: string }).kind,
    )
  );
}

/** Writes one end of a window frame: `2 preceding`, `current row`, `unbounded following`. */
function frameBound(offset: number | null, unboundedSide: "preceding" | "following"): string {
  if (offset === null) {
    return `unbounded ${unboundedSide}`;
  }

  if (offset === 0) {
    return "current row";
  }

  if (!Number.isInteger(offset)) {
    throw new ValidationError(`Invalid window frame offset ${describeValue(offset)}: expected a whole number or null.`);
  }

  return offset < 0 ? `${-offset} preceding` : `${offset} following`;
}

export function assertNever(item: never): never {
  throw new ValidationError(`Unexpected AST node ${describeValue(item)}.`);
}

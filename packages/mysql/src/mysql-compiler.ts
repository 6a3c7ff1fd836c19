/** The SQL compiler for MySQL 8 and MariaDB 10.6 or later. */
import {
  type CastType,
  NotSupportedError,
  ValidationError,
  SqlCompiler,
  type DeleteNode,
  type ExpressionNode,
  type Field,
  type InsertNode,
  type CompiledQuery,
  type JsonLookupNode,
  type OnConflictNode,
  type SearchMatchNode,
  type SearchRankNode,
  type SelectNode,
  type SqlBuilder,
  type UpdateNode,
  type WhereNode,
} from "@chakra-orm/core";
import type { ServerInfo } from "./mysql-driver.js";
import { compileFulltextMatch, compileFulltextRank } from "./fulltext/fulltext-query.js";
import { bigintParameter, fromMysql, mysqlColumnType, toMysql } from "./mysql-types.js";

/**
 * The collation of every table and of every text comparison the compiler
 * writes. It compares code points, so `exact`, `contains` and unique keys are
 * case- and accent-sensitive as on PostgreSQL and SQLite, and it exists on
 * both MySQL 8 and MariaDB.
 * NOTE: utf8mb4_bin is a PAD SPACE collation, so `=` and unique keys ignore
 * trailing spaces ('a' = 'a '). LIKE does not.
 */
export const BINARY_COLLATION = "utf8mb4_bin";

/** The largest LIMIT, written when a query has an offset but no limit. */
const NO_LIMIT = "18446744073709551615";

const JSON_NUMBER_TYPES = "('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')";

function func(name: string, ...args: ExpressionNode[]): ExpressionNode {
  return { kind: "func", name, args };
}

/**
 * Writes MySQL SQL: backtick identifiers, LIMIT with OFFSET, binary-collation
 * text lookups, PCRE/ICU regular expressions and JSON_EXTRACT key paths.
 */
export class MysqlCompiler extends SqlCompiler {
  readonly dialectName = "mysql";
  /** True while compiling an UPDATE or DELETE, whose subqueries must not read the target table directly. */
  #writing = false;
  /** Reads what the first connection learned about the server; the dialect sets it. */
  serverInfo: () => ServerInfo | undefined = () => undefined;

  override quote(name: string): string {
    return `\`${name.replace(/`/g, "``")}\``;
  }

  toDriver(item: unknown, target: Field | undefined): unknown {
    return toMysql(item, target);
  }

  fromDriver(target: Field): (raw: unknown) => unknown {
    return fromMysql(target);
  }

  columnType(target: Field): string {
    return mysqlColumnType(target);
  }

  autoIncrementPrimaryKey(_target: Field): string {
    return "int not null auto_increment primary key";
  }

  override createTableSuffix(): string {
    return ` engine=InnoDB default charset=utf8mb4 collate=${BINARY_COLLATION}`;
  }

  /**
   * Writes CREATE INDEX without IF NOT EXISTS, which MySQL 8 lacks (MariaDB
   * has it). The driver treats "duplicate key name" (error 1061) on such a
   * statement as success, so `createTables()` stays repeatable on both.
   */
  override createIndex(name: string, table: string, columns: readonly string[], unique: boolean, using?: string): string {
    if (using !== undefined) {
      return super.createIndex(name, table, columns, unique, using);
    }

    return `create ${unique ? "unique " : ""}index ${this.quote(name)} on ${this.quote(table)} (${columns.map((item) => this.quote(item)).join(", ")})`;
  }

  /** MySQL accepts OFFSET only after LIMIT, so an offset alone gets the largest LIMIT. */
  override limitOffset(out: SqlBuilder, limit: number | undefined, offset: number | undefined): void {
    if (limit !== undefined) {
      out.text(" limit ").rawParam(bigintParameter(limit));
    } else if (offset !== undefined && offset > 0) {
      out.text(` limit ${NO_LIMIT}`);
    }

    if (offset !== undefined && offset > 0) {
      out.text(" offset ").rawParam(bigintParameter(offset));
    }
  }

  override defaultValues(out: SqlBuilder, _node: InsertNode): void {
    out.text(" () values ()");
  }

  override returning(_out: SqlBuilder, columns: string[]): void {
    if (columns.length > 0) {
      throw new NotSupportedError(
        `RETURNING is not supported on MySQL (columns ${columns.join(", ")}). Read the rows with a SELECT after the write.`,
        { dialect: this.dialectName },
      );
    }
  }

  /**
   * Writes `on duplicate key update col = values(col)`. VALUES() works on
   * MariaDB 10.3+ and MySQL 8; MySQL 8.0.20+ deprecates it (warning 1287) in
   * favour of a row alias (`as new`), which MariaDB does not parse, so the
   * compiler keeps VALUES() for both. A conflict is ignored by setting the
   * primary key to itself rather than with INSERT IGNORE, which would also
   * turn other errors (bad values, foreign keys) into warnings.
   * NOTE: MySQL checks every unique key of the table, not only `target`.
   */
  override onConflict(out: SqlBuilder, conflict: OnConflictNode): void {
    out.text(" on duplicate key update ");

    if (conflict.update.length === 0) {
      out.identifier(conflict.primaryKey).text(" = ").identifier(conflict.primaryKey);

      return;
    }

    out.join(conflict.update, ", ", (name) => {
      out.identifier(name).text(" = values(").identifier(name).text(")");
    });
  }

  /**
   * Writes FOR UPDATE with NOWAIT or SKIP LOCKED, which MySQL 8 and MariaDB
   * 10.6+ both support. `of` is rejected because MariaDB has no FOR UPDATE OF.
   */
  override lock(out: SqlBuilder, node: SelectNode): void {
    if (node.lock!.of.length > 0) {
      throw new NotSupportedError(
        `selectForUpdate({ of }) is not supported on mysql: MariaDB has no FOR UPDATE OF (tables ${node.lock!.of.join(", ")}). Drop "of" to lock the rows of every table in the query.`,
        { dialect: this.dialectName },
      );
    }

    super.lock(out, node);
  }

  /**
   * Writes EXPLAIN; with `analyze`, MariaDB's ANALYZE statement or MySQL
   * 8.0.18+'s EXPLAIN ANALYZE, chosen by the server version that the first
   * connection read.
   */
  override explain(query: CompiledQuery, options: { analyze?: boolean }): CompiledQuery {
    if (!options.analyze) {
      return { sql: `explain ${query.sql}`, params: query.params };
    }

    const server = this.serverInfo();

    if (!server) {
      throw new NotSupportedError(
        "explain({ analyze: true }) on mysql needs the server version, which is read when the first connection opens. Run it inside db.transaction() or after another query.",
        { dialect: this.dialectName },
      );
    }

    return { sql: `${server.mariadb ? "analyze" : "explain analyze"} ${query.sql}`, params: query.params };
  }

  override update(out: SqlBuilder, node: UpdateNode): void {
    this.#whileWriting(() => super.update(out, node));
  }

  override delete(out: SqlBuilder, node: DeleteNode): void {
    this.#whileWriting(() => super.delete(out, node));
  }

  #whileWriting(write: () => void): void {
    const outer = this.#writing;
    this.#writing = true;

    try {
      write();
    } finally {
      this.#writing = outer;
    }
  }

  /**
   * Wraps `IN (subquery)` of an UPDATE or DELETE in a derived table. MySQL
   * rejects a subquery that reads the table being written (error 1093), but
   * accepts a derived table, which it materializes first.
   */
  override where(out: SqlBuilder, node: WhereNode): void {
    if (node.kind !== "inSubquery" || !this.#writing) {
      super.where(out, node);

      return;
    }

    this.expression(out, node.lhs);
    out.text(" in (select * from (");
    this.select(out, node.query);
    out.text(") as ").identifier("chakra_subquery").text(")");
  }

  override caseFoldedParam(out: SqlBuilder, item: unknown): void {
    out.text("lower(").rawParam(String(item)).text(`) collate ${BINARY_COLLATION}`);
  }

  /**
   * Writes LIKE under the binary collation, because a `_ci` collation would
   * also ignore case in `contains` and accents in `icontains`. The
   * case-insensitive form lower-cases both sides with the server's Unicode
   * case mapping.
   */
  override like(out: SqlBuilder, lhs: ExpressionNode, pattern: string, insensitive: boolean): void {
    if (insensitive) {
      this.caseFolded(out, lhs);
      out.text(" like ");
      this.caseFoldedParam(out, pattern);
    } else {
      this.expression(out, lhs);
      out.text(" like ").rawParam(pattern).text(` collate ${BINARY_COLLATION}`);
    }

    out.text(" escape '!'");
  }

  /**
   * Writes REGEXP (PCRE on MariaDB, ICU on MySQL 8). Both follow the
   * collation for case, so the subject is put under the binary collation,
   * and `iregex` prefixes the pattern with the `(?i)` flag both engines read.
   */
  override regex(out: SqlBuilder, lhs: ExpressionNode, pattern: string, insensitive: boolean): void {
    this.expression(out, lhs);
    out.text(` collate ${BINARY_COLLATION} regexp `).rawParam(insensitive ? `(?i)${pattern}` : pattern);
  }

  /**
   * Maps portable function names: LENGTH counts bytes on MySQL, so Length
   * uses CHAR_LENGTH; CONCAT returns NULL if any argument is NULL, so
   * Concat uses CONCAT_WS, which skips NULLs as PostgreSQL and SQLite do;
   * NOW() is the session's local time, so Now uses UTC_TIMESTAMP(3).
   */
  override functionCall(out: SqlBuilder, name: string, args: readonly ExpressionNode[]): void {
    if (name === "length") {
      super.functionCall(out, "char_length", args);
    } else if (name === "concat") {
      out.text("concat_ws(''");

      for (const arg of args) {
        out.text(", ");
        this.expression(out, arg);
      }

      out.text(")");
    } else if (name === "now") {
      out.text("utc_timestamp(3)");
    } else {
      super.functionCall(out, name, args);
    }
  }

  override castType(type: CastType): string {
    const names: Record<CastType, string> = {
      integer: "signed",
      float: "double",
      decimal: "decimal(65, 30)",
      text: "char",
      date: "date",
      dateTime: "datetime(3)",
    };

    return names[type];
  }

  override datePart(out: SqlBuilder, part: "year" | "month" | "day", lhs: ExpressionNode): void {
    out.text(`${part === "day" ? "dayofmonth" : part}(`);
    this.expression(out, lhs);
    out.text(")");
  }

  override searchMatch(out: SqlBuilder, node: SearchMatchNode): void {
    compileFulltextMatch(out, node);
  }

  override searchRank(out: SqlBuilder, node: SearchRankNode): void {
    compileFulltextRank(out, node);
  }

  /**
   * Writes a lookup on a JSON key path with JSON_EXTRACT and a bound path
   * such as `$."a"."b"`. A key of digits only indexes an array (`$[0]`), as
   * in Django. `isnull: true` matches a missing key, and `exact: null`
   * matches a JSON null.
   */
  override jsonLookup(out: SqlBuilder, node: JsonLookupNode): void {
    // MariaDB 10.11, the version tested, matches no quoted path member that
    // starts with "-", so such a filter would silently match nothing.
    // NOTE: before the first connection the server is unknown, so the check
    // cannot run and such a filter still matches nothing there.
    const dashed = this.serverInfo()?.mariadb ? node.path.find((key) => key.startsWith("-")) : undefined;

    if (dashed !== undefined) {
      throw new ValidationError(
        `Invalid JSON key "${dashed}" for MariaDB: its JSON paths cannot address a key that starts with "-". Rename the key, or filter those rows in JavaScript.`,
        { dialect: this.dialectName, value: dashed },
      );
    }

    const extracted = func("json_extract", node.lhs, { kind: "value", value: jsonPath(node.path) });
    const text = func("json_unquote", extracted);
    const { lookup, value } = node;

    switch (lookup) {
      case "exact":
        this.#jsonEquals(out, extracted, value);

        return;
      case "in": {
        const items = value as unknown[];

        if (items.length === 0) {
          out.text("1 = 0");

          return;
        }

        out.text("(");
        out.join(items, " or ", (item) => this.#jsonEquals(out, extracted, item));
        out.text(")");

        return;
      }
      case "isnull":
        this.lookup(out, { kind: "lookup", lookup, lhs: extracted, value, field: undefined });

        return;
      case "gt":
      case "gte":
      case "lt":
      case "lte":
      case "range": {
        const sample = lookup === "range" ? (value as unknown[])[0] : value;
        const lhs = typeof sample === "number" ? extracted : text;
        this.lookup(out, { kind: "lookup", lookup, lhs, value, field: undefined });

        return;
      }
      case "year":
      case "month":
      case "day":
        throw new NotSupportedError(
          `The ${lookup} lookup is not supported on a JSON key path (path ${node.path.join(".")}). Store the date in a dateTime or date field.`,
          { dialect: this.dialectName },
        );
      default:
        this.lookup(out, { kind: "lookup", lookup, lhs: text, value, field: undefined });
    }
  }

  /** Compares a JSON value with a JS value of the same JSON type. */
  #jsonEquals(out: SqlBuilder, extracted: ExpressionNode, item: unknown): void {
    const type = func("json_type", extracted);

    if (item === null) {
      this.expression(out, type);
      out.text(" = 'NULL'");
    } else if (typeof item === "string") {
      out.text("(");
      this.expression(out, type);
      out.text(" = 'STRING' and ");
      this.expression(out, func("json_unquote", extracted));
      out.text(" = ").rawParam(item).text(` collate ${BINARY_COLLATION})`);
    } else if (typeof item === "number") {
      out.text("(");
      this.expression(out, type);
      out.text(` in ${JSON_NUMBER_TYPES} and `);
      this.expression(out, extracted);
      out.text(" = ").rawParam(item).text(")");
    } else if (typeof item === "boolean") {
      out.text("(");
      this.expression(out, type);
      out.text(" = 'BOOLEAN' and ");
      this.expression(out, func("json_unquote", extracted));
      out.text(" = ").rawParam(String(item)).text(")");
    } else {
      // NOTE: containment both ways treats arrays as sets, so [1, 2] also
      // equals [2, 1]. MySQL and MariaDB share no exact JSON equality.
      const document = JSON.stringify(item);
      out.text("(json_contains(");
      this.expression(out, extracted);
      out.text(", ").rawParam(document).text(") and json_contains(").rawParam(document).text(", ");
      this.expression(out, extracted);
      out.text("))");
    }
  }
}

/** Builds a JSON path with every key quoted, so keys with dots or spaces stay whole. */
export function jsonPath(keys: readonly string[]): string {
  return `$${keys.map((key) => (/^\d+$/.test(key) ? `[${key}]` : `."${key.replace(/[\\"]/g, (match) => `\\${match}`)}"`)).join("")}`;
}

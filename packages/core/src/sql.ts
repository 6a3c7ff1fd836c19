import type { RawNode } from "./ast.js";
import type { SqlCompiler } from "./compiler.js";
import { SqlBuilder } from "./compiler.js";
import type { CompiledQuery } from "./dialect.js";
import { ValidationError, describeValue } from "./errors.js";

type Part =
  | { kind: "text"; text: string }
  | { kind: "value"; value: unknown }
  | { kind: "identifier"; name: string };

/**
 * A piece of raw SQL built by the `sql` tag. Interpolated values are bound
 * parameters; `sql.identifier()` quotes a name and `sql.raw()` inserts
 * trusted text as it is.
 */
export class SqlFragment {
  constructor(readonly parts: readonly Part[]) {}

  /** Compiles the fragment with a dialect's quoting and placeholders. */
  compile(compiler: SqlCompiler): CompiledQuery {
    const builder = new SqlBuilder(compiler);
    this.write(builder);

    return builder.build();
  }

  write(out: SqlBuilder): void {
    for (const part of this.parts) {
      if (part.kind === "text") {
        out.text(part.text);
      } else if (part.kind === "identifier") {
        out.identifier(part.name);
      } else {
        out.param(part.value);
      }
    }
  }

  /** The fragment as an AST node, with `?` between parts. */
  toNode(compiler: SqlCompiler): RawNode {
    const compiled = this.compile(compiler);

    return { kind: "raw", parts: [compiled.sql], params: compiled.params };
  }
}

function flatten(strings: readonly string[], values: readonly unknown[]): Part[] {
  const parts: Part[] = [];

  strings.forEach((text, index) => {
    parts.push({ kind: "text", text });

    if (index < values.length) {
      const item = values[index];

      if (item instanceof SqlFragment) {
        parts.push(...item.parts);
      } else {
        parts.push({ kind: "value", value: item });
      }
    }
  });

  return parts;
}

/**
 * Tags a raw SQL template. Every `${value}` becomes a bound parameter;
 * nested `sql` fragments are inlined.
 *
 * @example
 * await db.raw(sql`select * from ${sql.identifier("posts")} where id = ${id}`);
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  return new SqlFragment(flatten(strings, values));
}

/** Quotes a table or column name with the dialect's rules. */
sql.identifier = (name: string): SqlFragment => {
  if (typeof name !== "string" || name.length === 0 || name.includes("\u0000")) {
    throw new ValidationError(
      `sql.identifier(): invalid identifier ${describeValue(name)}. Pass a non-empty string without NUL characters.`,
      { value: name },
    );
  }

  return new SqlFragment([{ kind: "identifier", name }]);
};

/**
 * Inserts `text` into the statement unchanged. Never pass user input: it is
 * not escaped or bound.
 */
sql.raw = (text: string): SqlFragment => new SqlFragment([{ kind: "text", text }]);

/** Joins fragments or values with a separator, binding each value. */
sql.join = (items: readonly unknown[], separator = ", "): SqlFragment => {
  const parts: Part[] = [];

  items.forEach((item, index) => {
    if (index > 0) {
      parts.push({ kind: "text", text: separator });
    }

    parts.push(...(item instanceof SqlFragment ? item.parts : [{ kind: "value" as const, value: item }]));
  });

  return new SqlFragment(parts);
};

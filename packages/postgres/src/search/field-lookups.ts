/**
 * PostgreSQL's compilation of lookups that field kinds declare: array
 * containment and overlap, jsonb containment and key tests, and `matches`
 * on a tsvector column.
 */
import {
  NotSupportedError,
  isExpressionNode,
  type ExpressionNode,
  type FieldLookupNode,
  type SqlBuilder,
  type SqlCompiler,
} from "@chakra-orm/core";

const ARRAY_OPERATORS: Record<string, string> = { contains: "@>", contained_by: "<@", overlap: "&&" };
const JSON_OPERATORS: Record<string, string> = { contains: "@>", contained_by: "<@" };

function unsupported(node: FieldLookupNode): NotSupportedError {
  return new NotSupportedError(`The ${node.lookup} lookup on ${node.field.label} (${node.field.kind}) is not supported on postgres.`, {
    dialect: "postgres",
    field: node.field.name,
  });
}

/** Writes the right-hand side: an expression, or a bound value cast to `type`. */
function operand(compiler: SqlCompiler, out: SqlBuilder, value: unknown, type: string, bind: () => void): void {
  if (isExpressionNode(value)) {
    out.text("(");
    compiler.expression(out, value as ExpressionNode);
    out.text(")");

    return;
  }

  bind();
  out.text(`::${type}`);
}

/** Compiles `node`, or raises NotSupportedError for a lookup PostgreSQL lacks. */
export function compilePostgresFieldLookup(compiler: SqlCompiler, out: SqlBuilder, node: FieldLookupNode): void {
  const { field, lookup, value } = node;

  compiler.expression(out, node.lhs);

  if (field.kind === "array" && ARRAY_OPERATORS[lookup]) {
    out.text(` ${ARRAY_OPERATORS[lookup]} `);
    operand(compiler, out, value, compiler.columnType(field), () => out.rawParam(value));

    return;
  }

  if (field.kind === "json" && JSON_OPERATORS[lookup]) {
    out.text(` ${JSON_OPERATORS[lookup]} `);
    operand(compiler, out, value, "jsonb", () => out.rawParam(JSON.stringify(value)));

    return;
  }

  if (field.kind === "json" && lookup === "has_key") {
    out.text(" ? ").rawParam(value).text("::text");

    return;
  }

  if (field.kind === "tsVector" && lookup === "matches") {
    out.text(" @@ ");

    if (isExpressionNode(value)) {
      compiler.expression(out, value as ExpressionNode);
    } else {
      const config = (field.options.config as string | undefined) ?? "english";
      out.text("plainto_tsquery(").rawParam(config).text("::regconfig, ").rawParam(String(value)).text("::text)");
    }

    return;
  }

  throw unsupported(node);
}

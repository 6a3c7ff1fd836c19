/**
 * Declaration of a model's full-text search: which text fields it indexes,
 * with which weights, in which language. This module imports nothing at run
 * time but errors, so fields.ts can use it without an import cycle.
 */
import { ValidationError, describeValue } from "./errors.js";

/** PostgreSQL's four weight classes, A the highest. */
export type SearchWeight = "A" | "B" | "C" | "D";

export const SEARCH_WEIGHTS: readonly SearchWeight[] = ["A", "B", "C", "D"];

/** Options of `field.search()`. */
export interface SearchFieldOptions {
  /**
   * The text fields to index, as a list (equal weights) or a map from field
   * name to weight (`{ title: "A", body: "B" }`).
   */
  fields: readonly string[] | Readonly<Record<string, SearchWeight>>;
  /**
   * PostgreSQL text search configuration, such as "english" or "simple".
   * SQLite maps "english" to FTS5's porter stemmer; MySQL ignores it.
   * Default "english".
   */
  language?: string;
  /** Column of PostgreSQL's generated tsvector. Default "search_vector". */
  column?: string;
}

/** One indexed field with its weight, or undefined for a plain list. */
export interface SearchSource {
  name: string;
  weight: SearchWeight | undefined;
}

const LANGUAGE = /^[a-z_][a-z0-9_]*$/i;

/**
 * Checks `field.search()` options and returns the indexed fields. The
 * language must be a bare identifier, because PostgreSQL's generated column
 * writes it into DDL, where no parameter can be bound.
 */
export function checkSearchOptions(options: SearchFieldOptions): {
  sources: SearchSource[];
  language: string;
} {
  const invalid = (what: string, value: unknown) =>
    new ValidationError(`field.search(): invalid ${what} ${describeValue(value)}.`, { value });
  const { fields } = options ?? {};

  if (fields === undefined || fields === null || typeof fields !== "object") {
    throw invalid("fields", fields);
  }

  const sources: SearchSource[] = Array.isArray(fields)
    ? (fields as readonly string[]).map((name) => ({ name, weight: undefined }))
    : Object.entries(fields as Record<string, SearchWeight>).map(([name, weight]) => ({ name, weight }));

  if (sources.length === 0) {
    throw new ValidationError("field.search(): fields is empty. Name at least one text field to index.");
  }

  for (const source of sources) {
    if (typeof source.name !== "string" || source.name.length === 0) {
      throw invalid("field name", source.name);
    }

    if (source.weight !== undefined && !SEARCH_WEIGHTS.includes(source.weight)) {
      throw new ValidationError(
        `field.search(): invalid weight ${describeValue(source.weight)} for "${source.name}". Use "A", "B", "C" or "D".`,
        { value: source.weight },
      );
    }
  }

  const language = options.language ?? "english";

  if (typeof language !== "string" || !LANGUAGE.test(language)) {
    throw new ValidationError(
      `field.search(): invalid language ${describeValue(language)}. Name a PostgreSQL text search configuration such as "english" or "simple".`,
      { value: language },
    );
  }

  return { sources, language };
}

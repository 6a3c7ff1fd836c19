/**
 * Keyset (cursor) pagination: each page continues from the sort values of
 * the last row seen instead of skipping rows with OFFSET. Rows inserted or
 * deleted elsewhere therefore do not shift later pages, and deep pages cost
 * the same as the first.
 */
import { ValidationError, describeValue } from "./errors.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./model-meta.js";
import type { Model, ModelClass } from "./model.js";
import { Q } from "./q.js";
import type { QuerySet } from "./queryset.js";
import { validateValue } from "./validate.js";

/** One page of a CursorPaginator. */
export interface CursorPage<M> {
  items: M[];
  hasNext: boolean;
  hasPrevious: boolean;
  /** Pass as `{ after }` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Pass as `{ before }` for the previous page; null on the first page. */
  previousCursor: string | null;
}

interface SortKey {
  field: Field;
  descending: boolean;
}

/** Maximum cursor length in characters. Cursors this paginator makes are far shorter. */
const MAX_CURSOR_LENGTH = 4096;
const CURSOR_VERSION = 1;
const SORTABLE_KINDS = new Set(["id", "integer", "bigInteger", "float", "decimal", "string", "text", "dateTime", "date", "time", "uuid", "enum", "version"]);

/**
 * Keyset pagination over a QuerySet. The ordering comes from `ordering`,
 * or else the model's default ordering. The primary key is appended when
 * missing, so rows with equal sort values still have one fixed order.
 * Ordering fields must be non-null columns of the model itself, because
 * the dialects sort NULL differently.
 *
 * Cursors are opaque strings (base64url JSON of the last row's sort
 * values). `page()` validates a cursor before use: a cursor that was
 * altered, or made for another ordering, raises ValidationError. Its
 * values reach SQL only as bound parameters.
 *
 * `hasPrevious` is true on any page reached with `after`, and `hasNext` on
 * any page reached with `before`, without checking that such rows still
 * exist.
 *
 * @example
 * const paginator = new CursorPaginator(Post.objects.filter({ published: true }), {
 *   pageSize: 20,
 *   ordering: ["-publishedAt"],
 * });
 * const first = await paginator.page();
 * const second = await paginator.page({ after: first.nextCursor! });
 * const back = await paginator.page({ before: second.previousCursor! });
 */
export class CursorPaginator<M extends Model> {
  readonly pageSize: number;
  readonly #queryset: QuerySet<M>;
  readonly #meta: ModelMeta;
  readonly #keys: SortKey[];
  readonly #ordering: string[];

  constructor(queryset: QuerySet<M>, options: { pageSize: number; ordering?: readonly string[] }) {
    if (!Number.isInteger(options.pageSize) || options.pageSize < 1) {
      throw new ValidationError(
        `CursorPaginator: invalid pageSize ${describeValue(options.pageSize)}. Pass a whole number of 1 or more.`,
        { value: options.pageSize },
      );
    }

    this.pageSize = options.pageSize;
    this.#queryset = queryset;
    this.#meta = (queryset.model as ModelClass).$meta;
    this.#keys = sortKeys(this.#meta, options.ordering ?? this.#meta.options.ordering ?? []);
    this.#ordering = this.#keys.map((key) => (key.descending ? `-${key.field.name}` : key.field.name));
  }

  /** The ordering the pages use, with the primary key appended. */
  get ordering(): readonly string[] {
    return this.#ordering;
  }

  /**
   * Returns the first page, or the page after or before a cursor.
   * Raises ValidationError for an invalid cursor or for both directions.
   */
  async page(cursor: { after?: string; before?: string } = {}): Promise<CursorPage<M>> {
    if (cursor.after !== undefined && cursor.before !== undefined) {
      throw new ValidationError("CursorPaginator.page(): pass either after or before, not both.");
    }

    const backward = cursor.before !== undefined;
    const token = cursor.after ?? cursor.before;
    let query = this.#queryset;

    if (token !== undefined) {
      query = query.filter(this.#beyond(this.decode(token), backward) as never);
    }

    const ordering = backward ? this.#ordering.map(flip) : this.#ordering;
    const rows = await query.orderBy(...(ordering as never[])).limit(this.pageSize + 1).all();
    const more = rows.length > this.pageSize;
    const items = rows.slice(0, this.pageSize);

    if (backward) {
      items.reverse();
    }

    const hasNext = backward ? true : more;
    const hasPrevious = backward ? more : token !== undefined;
    const first = items[0];
    const last = items[items.length - 1];

    return {
      items,
      hasNext: hasNext && last !== undefined,
      hasPrevious: hasPrevious && first !== undefined,
      nextCursor: hasNext && last ? this.encode(last) : null,
      previousCursor: hasPrevious && first ? this.encode(first) : null,
    };
  }

  /** Returns the cursor that points just past `instance` in this ordering. */
  encode(instance: M): string {
    const source = instance as unknown as Record<string, unknown>;
    const values = this.#keys.map((key) => toJson(source[key.field.name]));
    const payload = { v: CURSOR_VERSION, k: this.#ordering, p: values };

    return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  }

  /** Decodes and validates a cursor; returns the sort values it holds. */
  decode(cursor: string): unknown[] {
    const invalid = (reason: string) =>
      new ValidationError(
        `CursorPaginator: invalid cursor ${describeValue(cursor)}: ${reason}. Use a cursor returned by this paginator's page().`,
        { model: this.#meta.name, value: cursor },
      );

    if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
      throw invalid("not a base64url string of a valid length");
    }

    let payload: unknown;

    try {
      payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    } catch {
      throw invalid("not JSON");
    }

    const { v, k, p } = (payload ?? {}) as { v?: unknown; k?: unknown; p?: unknown };

    if (typeof payload !== "object" || v !== CURSOR_VERSION || !Array.isArray(k) || !Array.isArray(p)) {
      throw invalid("unknown format");
    }

    if (k.length !== this.#ordering.length || k.some((key, index) => key !== this.#ordering[index])) {
      throw invalid(`made for the ordering ${describeValue(k)}, not ${describeValue(this.#ordering)}`);
    }

    if (p.length !== this.#keys.length) {
      throw invalid("wrong number of values");
    }

    return this.#keys.map((key, index) => {
      try {
        return validateValue(key.field, fromJson(key.field, p[index]));
      } catch (error) {
        throw error instanceof ValidationError ? invalid(`bad value for ${key.field.name}`) : error;
      }
    });
  }

  /**
   * Builds `(a > x) OR (a = x AND b > y) OR ...` for the sort keys, with
   * each comparison flipped for descending keys and for backward pages.
   */
  #beyond(values: readonly unknown[], backward: boolean): Q {
    const branches = this.#keys.map((key, index) => {
      const conditions: Record<string, unknown> = {};

      for (let before = 0; before < index; before += 1) {
        conditions[this.#keys[before]!.field.name] = values[before];
      }

      const greater = key.descending === backward;
      conditions[`${key.field.name}__${greater ? "gt" : "lt"}`] = values[index];

      return conditions;
    });

    return Q.or(...branches.map((branch) => Q.of(branch)));
  }
}

function flip(key: string): string {
  return key.startsWith("-") ? key.slice(1) : `-${key}`;
}

function sortKeys(meta: ModelMeta, ordering: readonly string[]): SortKey[] {
  const keys: SortKey[] = ordering.map((key) => {
    const descending = key.startsWith("-");
    const name = descending ? key.slice(1) : key;
    const item = meta.fieldsByName.get(name);

    if (!item || !SORTABLE_KINDS.has(item.kind)) {
      throw new ValidationError(
        `CursorPaginator: cannot order by "${key}". Order by non-null columns of ${meta.name} itself: ${meta.columnFields.filter((field) => SORTABLE_KINDS.has(field.kind) && !field.nullable).map((field) => field.name).join(", ")}.`,
        { model: meta.name, field: name },
      );
    }

    if (item.nullable) {
      throw new ValidationError(
        `CursorPaginator: cannot order by the nullable field "${name}", because the dialects sort NULL differently. Order by a non-null field, or filter out the nulls and order by it then.`,
        { model: meta.name, field: name },
      );
    }

    return { field: item, descending };
  });

  if (!keys.some((key) => key.field === meta.pk)) {
    keys.push({ field: meta.pk, descending: false });
  }

  return keys;
}

function toJson(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }

  if (typeof value === "bigint") {
    return value.toString();
  }

  return value;
}

function fromJson(item: Field, value: unknown): unknown {
  if (item.kind === "dateTime") {
    const date = typeof value === "string" ? new Date(value) : undefined;

    if (!date || Number.isNaN(date.getTime())) {
      throw new ValidationError(`not a timestamp: ${describeValue(value)}`);
    }

    return date;
  }

  if (item.kind === "bigInteger") {
    if (typeof value !== "string" || !/^-?\d{1,20}$/.test(value)) {
      throw new ValidationError(`not a 64-bit integer: ${describeValue(value)}`);
    }

    return BigInt(value);
  }

  return value;
}

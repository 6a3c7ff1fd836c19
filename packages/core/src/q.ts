import type { FilterInput } from "./types.js";

export type QNode =
  | { kind: "leaf"; conditions: Record<string, unknown> }
  | { kind: "and" | "or"; children: QNode[] }
  | { kind: "not"; child: QNode };

/**
 * A condition tree for `filter()` and `exclude()`. Conditions in one object
 * are joined with AND; combine trees with `Q.or`, `Q.and` and `Q.not`.
 *
 * @example
 * Post.objects.exclude(Q.or({ title__icontains: "draft" }, { deletedAt__isnull: false }))
 */
export class Q<F = any> {
  declare readonly $fields: F;

  private constructor(readonly node: QNode) {}

  /** Wraps one object of conditions. Keys are checked when the query runs. */
  static of<F = any>(conditions: FilterInput<F> | Record<string, unknown>): Q<F> {
    return new Q<F>({ kind: "leaf", conditions: { ...(conditions as object) } });
  }

  static and<F = any>(...items: (Q<F> | FilterInput<F>)[]): Q<F> {
    return new Q<F>({ kind: "and", children: items.map(toNode) });
  }

  static or<F = any>(...items: (Q<F> | FilterInput<F>)[]): Q<F> {
    return new Q<F>({ kind: "or", children: items.map(toNode) });
  }

  static not<F = any>(item: Q<F> | FilterInput<F>): Q<F> {
    return new Q<F>({ kind: "not", child: toNode(item) });
  }

  and(other: Q<F> | FilterInput<F>): Q<F> {
    return Q.and(this, other);
  }

  or(other: Q<F> | FilterInput<F>): Q<F> {
    return Q.or(this, other);
  }

  not(): Q<F> {
    return Q.not(this);
  }
}

export function toNode(item: unknown): QNode {
  if (item instanceof Q) {
    return item.node;
  }

  return { kind: "leaf", conditions: { ...(item as object) } };
}

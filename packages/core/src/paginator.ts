import { InvalidPageError, ValidationError, describeValue } from "./errors.js";
import type { Model } from "./model.js";
import type { QuerySet } from "./queryset.js";

/** One page of results; iterate it or read `items`. */
export class Page<M> implements Iterable<M> {
  constructor(
    readonly items: M[],
    readonly number: number,
    readonly paginator: { readonly pageCount: number; readonly totalCount: number },
  ) {}

  get hasNext(): boolean {
    return this.number < this.paginator.pageCount;
  }

  get hasPrevious(): boolean {
    return this.number > 1;
  }

  get nextPageNumber(): number | null {
    return this.hasNext ? this.number + 1 : null;
  }

  get previousPageNumber(): number | null {
    return this.hasPrevious ? this.number - 1 : null;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * Offset pagination over a QuerySet. Counts once, on first use; call
 * `refresh()` to count again. Give the QuerySet an ordering so pages are
 * stable.
 */
export class Paginator<M extends Model> {
  readonly pageSize: number;
  readonly allowEmptyFirstPage: boolean;
  #totalCount: number | undefined;

  constructor(
    readonly queryset: QuerySet<M>,
    options: { pageSize: number; allowEmptyFirstPage?: boolean },
  ) {
    if (!Number.isInteger(options.pageSize) || options.pageSize < 1) {
      throw new ValidationError(
        `Paginator: invalid pageSize ${describeValue(options.pageSize)}. Pass a whole number of 1 or more.`,
        { value: options.pageSize },
      );
    }

    this.pageSize = options.pageSize;
    this.allowEmptyFirstPage = options.allowEmptyFirstPage ?? true;
  }

  /** Counts the rows, once. */
  async count(): Promise<number> {
    this.#totalCount ??= await this.queryset.count();

    return this.#totalCount;
  }

  get totalCount(): number {
    if (this.#totalCount === undefined) {
      throw new InvalidPageError("Paginator.totalCount is read before counting. Await paginator.count() or paginator.page(n) first.");
    }

    return this.#totalCount;
  }

  get pageCount(): number {
    const total = this.totalCount;

    if (total === 0) {
      return this.allowEmptyFirstPage ? 1 : 0;
    }

    return Math.ceil(total / this.pageSize);
  }

  /** Forgets the count so the next page() counts again. */
  refresh(): void {
    this.#totalCount = undefined;
  }

  /** Returns page `number` (1-based); raises InvalidPageError outside 1..pageCount. */
  async page(number: number): Promise<Page<M>> {
    await this.count();

    if (!Number.isInteger(number) || number < 1 || number > this.pageCount) {
      throw new InvalidPageError(
        `Paginator.page(): page ${describeValue(number)} is out of range; pages run from 1 to ${this.pageCount} (${this.totalCount} rows, ${this.pageSize} per page).`,
        { value: number } as never,
      );
    }

    const items = await this.queryset
      .offset((number - 1) * this.pageSize)
      .limit(this.pageSize)
      .all();

    return new Page(items, number, this);
  }
}

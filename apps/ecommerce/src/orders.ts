/**
 * Order placement: one transaction that checks and decrements the stock of
 * every ordered product, then writes the order and its lines.
 *
 * Two strategies keep concurrent orders from overselling:
 * - "pessimistic" locks the stock rows with SELECT ... FOR UPDATE on
 *   PostgreSQL and MySQL. SQLite has no row locks, and there the
 *   transaction itself is the lock: the SQLite dialect starts write
 *   transactions with `begin immediate` and runs them one at a time.
 * - "optimistic" reads the stock without a lock and saves it with the
 *   version check of `field.version()`. A save that finds a newer version
 *   raises OptimisticLockError, and the whole transaction is retried.
 */
import { OptimisticLockError, type Database } from "@chakra-orm/core";
import { Customer, Inventory, Order, OrderLine, Product } from "./models.js";

export const LOCKING_STRATEGIES = ["pessimistic", "optimistic"] as const;

export type LockingStrategy = (typeof LOCKING_STRATEGIES)[number];

/** Attempts of an optimistic order before it gives up; each retry follows a conflict with another order. */
export const DEFAULT_MAX_ATTEMPTS = 20;

export interface OrderRequest {
  customerId: string;
  lines: { productId: number; quantity: number }[];
}

export interface PlacementOptions {
  strategy: LockingStrategy;
  /** Attempts of the optimistic strategy (default DEFAULT_MAX_ATTEMPTS); the pessimistic one never retries. */
  maxAttempts?: number;
}

export interface PlacedOrder {
  order: Order;
  lines: OrderLine[];
  /** Transactions run: 1, plus one per optimistic-lock conflict. */
  attempts: number;
}

/** An order that cannot be placed as requested; `statusCode` is the HTTP status. */
export class OrderRejectedError extends Error {
  constructor(
    readonly statusCode: 400 | 409,
    message: string,
  ) {
    super(message);
    this.name = "OrderRejectedError";
  }
}

/** Today's date in UTC, `YYYY-MM-DD`. */
function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Sums the quantities per product, so a product listed twice is one line. */
function mergeLines(lines: OrderRequest["lines"]): Map<number, number> {
  const merged = new Map<number, number>();

  for (const { productId, quantity } of lines) {
    merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  }

  return merged;
}

/** Checks the customer and the products before any stock is touched. */
async function loadOrderables(request: OrderRequest, quantities: Map<number, number>): Promise<Map<number, Product>> {
  if (!(await Customer.objects.filter({ id: request.customerId }).exists())) {
    throw new OrderRejectedError(400, `Customer "${request.customerId}" not found. Pass the id of an existing customer, such as "ALFKI".`);
  }

  const ids = [...quantities.keys()];
  const products = new Map((await Product.objects.filter({ id__in: ids }).all()).map((product) => [product.id, product]));
  const missing = ids.filter((id) => !products.has(id));

  if (missing.length > 0) {
    throw new OrderRejectedError(400, `Product(s) ${missing.join(", ")} not found.`);
  }

  const discontinued = [...products.values()].filter((product) => product.discontinued);

  if (discontinued.length > 0) {
    const names = discontinued.map((product) => `${product.id} (${product.name})`).join(", ");

    throw new OrderRejectedError(409, `Product(s) ${names} are discontinued and cannot be ordered.`);
  }

  return products;
}

/**
 * Takes the ordered quantities from the stock rows and saves them. Rows are
 * read in product id order, so two orders for the same products lock them
 * in the same order and cannot deadlock.
 */
async function takeStock(db: Database, quantities: Map<number, number>, products: Map<number, Product>, strategy: LockingStrategy) {
  const query = Inventory.objects.filter({ productId__in: [...quantities.keys()] }).orderBy("productId");
  // SQLite raises NotSupportedError on selectForUpdate(), and its
  // transactions already run one at a time.
  const locked = strategy === "pessimistic" && db.dialect.name !== "sqlite";
  const stock = locked ? await query.selectForUpdate().all() : await query.all();
  const byProduct = new Map(stock.map((row) => [row.productId, row]));

  for (const [productId, quantity] of quantities) {
    const row = byProduct.get(productId);
    const product = products.get(productId)!;

    if (!row || row.unitsInStock < quantity) {
      throw new OrderRejectedError(
        409,
        `Insufficient stock for product ${productId} (${product.name}): ${row?.unitsInStock ?? 0} in stock, ${quantity} requested.`,
      );
    }
  }

  for (const row of stock) {
    row.unitsInStock -= quantities.get(row.productId)!;
    // With the optimistic strategy this raises OptimisticLockError when
    // another order saved the row since it was read.
    await row.save({ fields: ["unitsInStock"] });
  }
}

async function placeOnce(db: Database, request: OrderRequest, quantities: Map<number, number>, products: Map<number, Product>, strategy: LockingStrategy) {
  return db.transaction(async () => {
    await takeStock(db, quantities, products, strategy);
    const order = await Order.objects.create({ customerId: request.customerId, orderDate: todayUtc() });
    const lines = await OrderLine.objects.bulkCreate(
      [...quantities].map(([productId, quantity]) => ({
        orderId: order.id,
        productId,
        quantity,
        unitPrice: products.get(productId)!.unitPrice,
        discount: "0",
      })),
    );

    return { order, lines };
  });
}

/**
 * Places an order with the chosen locking strategy. Raises
 * OrderRejectedError (400 for unknown customers or products, 409 for
 * discontinued products, insufficient stock, or an optimistic order that
 * kept conflicting for `maxAttempts` attempts).
 */
export async function placeOrder(db: Database, request: OrderRequest, options: PlacementOptions): Promise<PlacedOrder> {
  const quantities = mergeLines(request.lines);
  const products = await loadOrderables(request, quantities);
  const maxAttempts = options.strategy === "optimistic" ? (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) : 1;

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    try {
      const placed = await placeOnce(db, request, quantities, products, options.strategy);

      return { ...placed, attempts: attempt };
    } catch (error) {
      if (!(error instanceof OptimisticLockError)) {
        throw error;
      }

      // A short random pause spreads out the orders that collided.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3 * attempt));
    }
  }

  throw new OrderRejectedError(
    409,
    `The stock changed during each of ${maxAttempts} attempts because of concurrent orders. Retry the order.`,
  );
}

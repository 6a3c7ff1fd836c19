/** Product listing, stock views and bulk repricing. */
import { Cast, F, Paginator, type Page, type QuerySet } from "@chakra-orm/core";
import { applyBasisPoints, formatCents, parseCents } from "./money.js";
import { type Category, Inventory, Product } from "./models.js";

export const PRODUCT_SORTS = ["id", "name", "price", "-price"] as const;

export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductFilters {
  categoryId?: number;
  /** Case-insensitive text to find in the name; `%` and `_` match literally. */
  search?: string;
  /** Lowest and highest unit price, inclusive, as decimal strings. */
  minPrice?: string;
  maxPrice?: string;
  /** true keeps products with stock, false those without. */
  inStock?: boolean;
  /** Unset lists every product. */
  discontinued?: boolean;
}

const SORT_KEYS: Record<ProductSort, ("id" | "name" | "unitPrice" | "-unitPrice")[]> = {
  id: ["id"],
  name: ["name", "id"],
  price: ["unitPrice", "id"],
  "-price": ["-unitPrice", "id"],
};

/** Products matching `filters`, in the order `sort` names. */
export function productsQuery(filters: ProductFilters, sort: ProductSort): QuerySet<Product> {
  const query = applyFilters(Product.objects.selectRelated("category"), filters);

  if (query.db.dialect.name === "sqlite" && (sort === "price" || sort === "-price")) {
    // NOTE: SQLite stores decimals as text, and ORDER BY on the column
    // sorts them as strings ("9.65" after "263.50"), so there the sort key
    // is the price cast to a float.
    const sorted = query.annotate({ priceValue: Cast<number>("unitPrice", "float") });

    return sorted.orderBy(sort === "price" ? "priceValue" : "-priceValue", "id");
  }

  return query.orderBy(...SORT_KEYS[sort]);
}

function applyFilters(start: QuerySet<Product>, filters: ProductFilters): QuerySet<Product> {
  let query = start;

  if (filters.categoryId !== undefined) {
    query = query.filter({ categoryId: filters.categoryId });
  }

  if (filters.search !== undefined) {
    query = query.filter({ name__icontains: filters.search });
  }

  if (filters.minPrice !== undefined) {
    query = query.filter({ unitPrice__gte: filters.minPrice });
  }

  if (filters.maxPrice !== undefined) {
    query = query.filter({ unitPrice__lte: filters.maxPrice });
  }

  if (filters.inStock !== undefined) {
    const withStock = { inventory__unitsInStock__gt: 0 };
    query = filters.inStock ? query.filter(withStock) : query.exclude(withStock);
  }

  if (filters.discontinued !== undefined) {
    query = query.filter({ discontinued: filters.discontinued });
  }

  return query;
}

export interface ProductSummary {
  id: number;
  name: string;
  category: { id: number; name: string };
  quantityPerUnit: string | null;
  unitPrice: string;
  discontinued: boolean;
  unitsInStock: number;
}

/** Loads the stock of `products` in one query, keyed by product id. */
export async function stockOf(products: readonly Product[]): Promise<Map<number, Inventory>> {
  const rows = await Inventory.objects.filter({ productId__in: products.map((product) => product.id) }).all();

  return new Map(rows.map((row) => [row.productId, row]));
}

export function productSummary(product: Product, stock: Inventory | undefined): ProductSummary {
  const category = product.category as Category;

  return {
    id: product.id,
    name: product.name,
    category: { id: category.id, name: category.name },
    quantityPerUnit: product.quantityPerUnit,
    unitPrice: formatCents(parseCents(product.unitPrice)),
    discontinued: product.discontinued,
    unitsInStock: stock?.unitsInStock ?? 0,
  };
}

/** Returns one page of products; raises InvalidPageError past the last page. */
export async function listProducts(
  filters: ProductFilters,
  sort: ProductSort,
  page: number,
  pageSize: number,
): Promise<{ page: Page<Product>; items: ProductSummary[] }> {
  const result = await new Paginator(productsQuery(filters, sort), { pageSize }).page(page);
  const stock = await stockOf(result.items);

  return { page: result, items: result.items.map((product) => productSummary(product, stock.get(product.id))) };
}

export interface LowStockRow {
  productId: number;
  name: string;
  unitsInStock: number;
  unitsOnOrder: number;
  reorderLevel: number;
}

/**
 * Products still sold whose stock is at or below their reorder level and
 * that have nothing on order, lowest stock first.
 */
export async function lowStock(): Promise<LowStockRow[]> {
  const rows = await Inventory.objects
    .filter({ unitsInStock__lte: F("reorderLevel"), unitsOnOrder: 0, product__discontinued: false })
    .orderBy("unitsInStock", "productId")
    .values("productId", "product__name", "unitsInStock", "unitsOnOrder", "reorderLevel");

  return rows.map((row) => ({
    productId: row.productId,
    name: row.product__name,
    unitsInStock: row.unitsInStock,
    unitsOnOrder: row.unitsOnOrder,
    reorderLevel: row.reorderLevel,
  }));
}

export interface RepriceResult {
  categoryId: number;
  basisPoints: number;
  updated: number;
  products: { id: number; name: string; oldPrice: string; newPrice: string }[];
}

/**
 * Changes the price of every product in a category by `basisPoints`
 * (500 = +5%), rounding each new price half up to a cent, and writes all
 * of them with one bulkUpdate. Discontinued products keep their price
 * unless `includeDiscontinued` is set.
 */
export async function repriceCategory(
  categoryId: number,
  basisPoints: number,
  includeDiscontinued: boolean,
): Promise<RepriceResult> {
  let query = Product.objects.filter({ categoryId }).orderBy("id");

  if (!includeDiscontinued) {
    query = query.filter({ discontinued: false });
  }

  const products = await query.all();
  const changes = products.map((product) => {
    const oldCents = parseCents(product.unitPrice);
    const newCents = applyBasisPoints(oldCents, basisPoints);
    product.unitPrice = formatCents(newCents);

    return { id: product.id, name: product.name, oldPrice: formatCents(oldCents), newPrice: product.unitPrice };
  });
  const updated = products.length === 0 ? 0 : await Product.objects.bulkUpdate(products, ["unitPrice"]);

  return { categoryId, basisPoints, updated, products: changes };
}

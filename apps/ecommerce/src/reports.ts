/**
 * Sales reports built from aggregates and window functions. Revenue is
 * price x quantity x (1 - discount) per order line, rounded to cents once
 * per reported total.
 */
import { Count, Extract, F, OuterRef, Rank, Subquery, Sum, cte } from "@chakra-orm/core";
import { amountToCents, formatCents } from "./money.js";
import { Category, OrderLine, Product } from "./models.js";

/**
 * Builds a line's revenue as an SQL expression. It has no bound
 * `1 - discount`, because MySQL computes with a bound number as a double,
 * while this form keeps decimal arithmetic on PostgreSQL and MySQL.
 */
export function lineRevenue() {
  return F("unitPrice").mul(F("quantity")).sub(F("unitPrice").mul(F("quantity")).mul(F("discount")));
}

export interface MonthRevenue {
  /** `YYYY-MM`. */
  month: string;
  orders: number;
  unitsSold: number;
  revenue: string;
}

/** Revenue, orders and units per calendar month of the order date, oldest first; `year` keeps one year. */
export async function revenueByMonth(year?: number): Promise<MonthRevenue[]> {
  let lines = OrderLine.objects;

  if (year !== undefined) {
    lines = lines.filter({ order__orderDate__range: [`${year}-01-01`, `${year}-12-31`] });
  }

  // NOTE: the month columns are annotations grouped through values() with no
  // paths, because naming them in values("year", "month") leaves them out of
  // GROUP BY in the current core.
  const rows = await lines
    .annotate({ year: Extract("year", "order__orderDate"), month: Extract("month", "order__orderDate") })
    .values()
    .annotate({ revenue: Sum(lineRevenue()), orders: Count("order", { distinct: true }), unitsSold: Sum("quantity") })
    .orderBy("year", "month");

  return rows.map((row) => ({
    month: `${row.year}-${String(row.month).padStart(2, "0")}`,
    orders: row.orders,
    unitsSold: Number(row.unitsSold ?? 0),
    revenue: formatCents(amountToCents(row.revenue)),
  }));
}

export interface RankedProduct {
  rank: number;
  productId: number;
  name: string;
  unitsSold: number;
  revenue: string;
}

export interface CategoryBestSellers {
  categoryId: number;
  categoryName: string;
  products: RankedProduct[];
}

/** Extra columns that the ranking CTE adds to each product row. */
interface RankColumns {
  revenue: number | string | null;
  unitsSold: number | string | null;
  rank: number | string;
}

/**
 * Returns the `top` products by revenue in each category, ranked with
 * RANK() OVER (PARTITION BY category ORDER BY revenue DESC), so products
 * with equal revenue share a rank. A window value cannot be filtered in the
 * WHERE of its own query, so the ranking runs in a CTE and the outer query
 * keeps rank <= top.
 */
export async function bestSellers(top: number, categoryId?: number): Promise<CategoryBestSellers[]> {
  const sales = OrderLine.objects.filter({ productId: OuterRef("id") }).values("productId");
  const ranked = cte(
    "ranked_products",
    Product.objects
      .annotate({
        revenue: Subquery<number | null>(sales.annotate({ revenue: Sum(lineRevenue()) }), "revenue"),
        unitsSold: Subquery<number | null>(sales.annotate({ unitsSold: Sum("quantity") }), "unitsSold"),
      })
      .annotate({ rank: Rank().over({ partitionBy: ["categoryId"], orderBy: ["-revenue"] }) }),
  );
  let query = Product.objects.fromCte(ranked).filter({ rank__lte: top } as never);

  if (categoryId !== undefined) {
    query = query.filter({ categoryId });
  }

  // NOTE: the CTE's columns are read from the instances, because values()
  // on a fromCte() query fails for the CTE's annotations in the current core.
  const rows = (await query.orderBy("categoryId", "rank" as never, "id").all()) as (Product & RankColumns)[];
  const names = new Map(await Category.objects.valuesList("id", "name"));
  const groups = new Map<number, CategoryBestSellers>();

  for (const row of rows) {
    let group = groups.get(row.categoryId);

    if (!group) {
      group = { categoryId: row.categoryId, categoryName: names.get(row.categoryId) ?? "", products: [] };
      groups.set(row.categoryId, group);
    }

    group.products.push({
      rank: Number(row.rank),
      productId: row.id,
      name: row.name,
      unitsSold: Number(row.unitsSold ?? 0),
      revenue: formatCents(amountToCents(row.revenue)),
    });
  }

  return [...groups.values()];
}

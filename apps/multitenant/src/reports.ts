/** Reports written in raw SQL. Each binds the tenant through tenantSql. */
import type { Database } from "@chakra-orm/core";
import { TENANT, tenantSql } from "./tenancy.js";

export interface FilmRentals {
  id: number;
  title: string;
  rentals: number;
}

/** Returns the current store's most rented films, most rentals first, then by title. */
export async function topFilms(db: Database, limit: number): Promise<FilmRentals[]> {
  const rows = await db.raw<{ id: number | string; title: string; rentals: number | string | bigint }>(tenantSql`
    select f.id as id, f.title as title, count(*) as rentals
    from rental r
    join inventory i on i.id = r.inventory_id and i.store_id = ${TENANT}
    join film f on f.id = i.film_id
    where r.store_id = ${TENANT}
    group by f.id, f.title
    order by rentals desc, f.title, f.id
    limit ${limit}`);

  return rows.map((row) => ({ id: Number(row.id), title: row.title, rentals: Number(row.rentals) }));
}

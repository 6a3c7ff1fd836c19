/** JSON shapes of the API's rows. */
import type { Customer, Film, Rental } from "./models.js";

/** The dataset's attribution line, which must stay with the data. */
export const ATTRIBUTION =
  "Sakila Sample Database, (c) 2006, 2019 Oracle and/or its affiliates, BSD license; originally developed by Mike Hillyer of the MySQL AB documentation team.";

/**
 * Formats an amount with two decimals. Decimal columns come back as
 * strings, and a sum may come back as a number, a string or null (no rows).
 */
export function money(value: unknown): string {
  if (value === null || value === undefined) {
    return "0.00";
  }

  const amount = Number(value);

  if (!Number.isFinite(amount)) {
    throw new Error(`Invalid amount ${String(value)}: expected a decimal number.`);
  }

  return amount.toFixed(2);
}

export function customerPayload(customer: Customer) {
  return {
    id: customer.id,
    storeId: customer.storeId,
    firstName: customer.firstName,
    lastName: customer.lastName,
    email: customer.email,
    active: customer.active,
    createdAt: customer.createdAt.toISOString(),
    customFields: customer.customFields,
  };
}

export function filmPayload(film: Film) {
  return {
    id: film.id,
    title: film.title,
    releaseYear: film.releaseYear,
    rating: film.rating,
    length: film.length,
    rentalRate: film.rentalRate,
  };
}

/** A rental with its film; `inventory__film` must be loaded with selectRelated. */
export function rentalPayload(rental: Rental) {
  return {
    id: rental.id,
    rentalDate: rental.rentalDate.toISOString(),
    returnDate: rental.returnDate?.toISOString() ?? null,
    customerId: rental.customerId,
    inventoryId: rental.inventoryId,
    film: { id: rental.inventory.film.id, title: rental.inventory.film.title },
  };
}

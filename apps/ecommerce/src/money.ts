/**
 * Exact money arithmetic on integers. Prices have at most two decimals and
 * discounts are whole hundredths, so a line total is a whole number of
 * 1/10000 units and is rounded to cents only once, at the end.
 */

/** Parses a decimal string such as `"9.8"` or `"14"` into whole cents. */
export function parseCents(value: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(value);

  if (!match) {
    throw new Error(`Invalid money amount ${JSON.stringify(value)}: expected digits with at most two decimals.`);
  }

  const cents = Number(match[2]) * 100 + Number((match[3] ?? "").padEnd(2, "0"));

  return match[1] === "-" ? -cents : cents;
}

/** Formats whole cents as a decimal string with two decimals, such as `"440.00"`. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const absolute = Math.abs(cents);

  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, "0")}`;
}

/** Rounds an amount in 1/10000 units to cents, halves away from zero. */
export function roundToCents(tenThousandths: number): number {
  const sign = tenThousandths < 0 ? -1 : 1;

  return sign * Math.floor((Math.abs(tenThousandths) + 50) / 100);
}

/** A line's total in 1/10000 units: price x quantity x (1 - discount). */
export function lineTotalUnits(unitPrice: string, quantity: number, discount: string): number {
  return parseCents(unitPrice) * quantity * (100 - parseCents(discount));
}

/**
 * Converts a summed amount that the database returned into cents. The true
 * value has at most four decimals, but SQLite sums decimals as binary floats
 * and MySQL may return a float too, so the value is first snapped to the
 * nearest 1/10000 and then rounded once to cents.
 */
export function amountToCents(value: number | string | null): number {
  if (value === null) {
    return 0;
  }

  const amount = typeof value === "string" ? Number(value) : value;

  if (!Number.isFinite(amount)) {
    throw new Error(`Invalid amount ${JSON.stringify(value)} returned by the database.`);
  }

  return roundToCents(Math.round(amount * 10_000));
}

/**
 * Applies a change in basis points (250 = +2.5%, -1000 = -10%) to a price in
 * cents, rounding half up to a cent.
 */
export function applyBasisPoints(cents: number, basisPoints: number): number {
  // The product is in 1/10000 cents and stays an exact integer below 2^53.
  const scaled = cents * (10_000 + basisPoints);

  return Math.floor((scaled + 5_000) / 10_000);
}

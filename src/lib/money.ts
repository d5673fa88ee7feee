// Money travels as JSON numbers in currency units with at most 2 decimals, and is stored and summed as
// integer cents. Conversions go through the number's shortest decimal spelling, never through float
// multiplication (1.15 * 100 is 114.99999999999999).

/** The largest product price, 99,999,999.99: any price x any quantity stays an exact integer. */
export const MAX_PRICE_CENTS = 9_999_999_999;
/** The largest order total, 9,999,999,999,999.99 (15 significant digits: exact as a JSON number). */
export const MAX_TOTAL_CENTS = 999_999_999_999_999;

/** Integer cents of a non-negative amount with at most 2 decimals, or undefined if it has more. */
export function toCents(amount: number): number | undefined {
  if (!Number.isFinite(amount) || amount < 0) return undefined;
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!match) return undefined;
  const [, units = "0", fraction = ""] = match;
  const cents = Number(units) * 100 + Number(fraction.padEnd(2, "0"));
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** Currency units as a JSON number; division by 100 is correctly rounded, so 2995 prints as 29.95. */
export const fromCents = (cents: number) => cents / 100;

/** quantity x unit price for each line and their sum, exactly, or undefined when the total is too large. */
export function priceLines(lines: { unitPriceCents: number; quantity: number }[]) {
  let total = 0n;
  const lineTotals = lines.map(({ unitPriceCents, quantity }) => {
    const line = BigInt(unitPriceCents) * BigInt(quantity);
    total += line;
    return line;
  });
  if (total > BigInt(MAX_TOTAL_CENTS)) return undefined;
  return { lineTotals: lineTotals.map(Number), totalCents: Number(total) };
}

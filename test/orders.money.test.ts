import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCustomer, createProduct, newProject } from "./support/api";
import { getOrder } from "./support/orders";

// Totals against an exact reference: BigInt cents. Prices are generated as integer cents and sent as the JSON
// number cents / 100 (at most 2 decimals), so the API's arithmetic must be exact in cents, never in floats.

const MAX_PRICE_CENTS = 9_999_999_999n; // 99,999,999.99, the largest price the products API accepts
const MAX_TOTAL_CENTS = 999_999_999_999_999n; // the largest order total the API accepts

/** The decimal number with exactly these cents, built from its decimal spelling (no float arithmetic). */
function centsToNumber(cents: bigint): number {
  const units = cents / 100n;
  const fraction = (cents % 100n).toString().padStart(2, "0");
  return Number(`${units}.${fraction}`);
}

/** Cents of a JSON amount with at most 2 decimals, read from its spelling; undefined if it has more. */
function numberToCents(amount: number): bigint | undefined {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!match) return undefined;
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? "").padEnd(2, "0"));
}

const priceCents = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 9_999n }) }, // everyday prices up to 99.99
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 10_000_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX_PRICE_CENTS }) },
  { weight: 1, arbitrary: fc.constantFrom(1n, 5n, 10n, 15n, 99n, 115n, 435n, 1999n, 2995n, 10000n - 1n) },
);
const quantity = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000_000 }) },
);

describe("order totals", () => {
  it("equal exact BigInt cents math for random prices and quantities (fast-check, fixed seed, 200 runs)", async () => {
    let created = 0;
    let tooLarge = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(priceCents, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), quantity), { minLength: 1, maxLength: 6 }),
        async (prices, lines) => {
          // A project per run keeps each run independent and far below the per-project rate limit.
          const { api } = await newProject();
          const customer = await createCustomer(api);
          const products: { id: string; cents: bigint }[] = [];
          for (const cents of prices) {
            const price = centsToNumber(cents);
            const product = await createProduct(api, { name: `P ${cents}`, price, units_in_stock: 0 });
            expect(product.price).toBe(price);
            products.push({ id: product.id as string, cents });
          }
          const items = lines.map(([pick, qty]) => ({ product: products[pick % products.length]!, quantity: qty }));
          const expectedLines = items.map((item) => item.product.cents * BigInt(item.quantity));
          const expectedTotal = expectedLines.reduce((sum, line) => sum + line, 0n);

          const res = await api.post("/crm/orders", {
            customer_id: customer.id,
            items: items.map((item) => ({ product_id: item.product.id, quantity: item.quantity })),
          });
          if (expectedTotal > MAX_TOTAL_CENTS) {
            tooLarge++;
            expect(res.status).toBe(400);
            expect(res.body.message).toMatch(/^items\b/);
            return;
          }
          created++;
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          const order = res.body.data;
          expect(order.total_amount).toBe(centsToNumber(expectedTotal));
          expect(numberToCents(order.total_amount)).toBe(expectedTotal);
          expect(order.orderItems).toHaveLength(items.length);
          for (const [i, line] of order.orderItems.entries()) {
            expect(line.product_id).toBe(items[i]!.product.id);
            expect(line.quantity).toBe(items[i]!.quantity);
            expect(numberToCents(line.unit_price)).toBe(items[i]!.product.cents);
            expect(line.unit_price).toBe(centsToNumber(items[i]!.product.cents));
            expect(line.total_amount).toBe(centsToNumber(expectedLines[i]!));
            expect(numberToCents(line.total_amount)).toBe(expectedLines[i]);
          }
          // What was stored reads back identically.
          expect((await getOrder(api, order.id)).body).toStrictEqual(res.body);
        },
      ),
      { seed: 424242, numRuns: 200 },
    );
    // The generators reach both outcomes, so both branches above were really checked.
    expect(created).toBeGreaterThan(150);
    expect(tooLarge).toBeGreaterThan(0);
  }, 180_000);

  it("recomputes totals exactly when items are replaced (fast-check, fixed seed, 50 runs)", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const seedProduct = await createProduct(api, { name: "Seed", price: 1 });
    const order = (
      await api.post("/crm/orders", { customer_id: customer.id, items: [{ product_id: seedProduct.id, quantity: 1 }] })
    ).body.data;

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 100_000n }), fc.integer({ min: 1, max: 1_000 })), {
          minLength: 1,
          maxLength: 5,
        }),
        async (lines) => {
          const items = [];
          let expected = 0n;
          for (const [cents, qty] of lines) {
            const product = await createProduct(api, { name: "Line", price: centsToNumber(cents) });
            items.push({ product_id: product.id, quantity: qty });
            expected += cents * BigInt(qty);
          }
          const res = await api.put(`/crm/orders/${order.id}`, { items });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body.data.total_amount).toBe(centsToNumber(expected));
          expect(res.body.data.orderItems.map((i: any) => numberToCents(i.total_amount))).toEqual(
            lines.map(([cents, qty]) => cents * BigInt(qty)),
          );
        },
      ),
      { seed: 20240120, numRuns: 50 },
    );
  }, 120_000);

  it("reference sanity: the helpers are exact where floats are not", () => {
    expect(0.1 * 3).not.toBe(0.3);
    expect(centsToNumber(10n * 3n)).toBe(0.3);
    expect(1.15 * 100).not.toBe(115);
    expect(numberToCents(1.15)).toBe(115n);
    expect(centsToNumber(MAX_TOTAL_CENTS)).toBe(9_999_999_999_999.99);
    expect(numberToCents(centsToNumber(MAX_PRICE_CENTS))).toBe(MAX_PRICE_CENTS);
  });
});

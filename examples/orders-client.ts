/**
 * A typed client for the Orders API, built from the Worker's own route types with `hc<AppType>` (hono/client):
 * paths, query parameters, JSON bodies and response bodies are all checked by TypeScript.
 *
 *   ORDERS_API_URL=http://localhost:8787 ORDERS_API_KEY=oak_... npm run example
 *
 * Creates a customer, a product and an order with two items, then lists that customer's orders. Every request
 * echoes the last X-D1-Bookmark it received, so reads always see this script's own writes (read replicas).
 * Exits non-zero on any unexpected status.
 */
import { hc } from "hono/client";
import type { AppType } from "../src/app";

const baseUrl = (process.env.ORDERS_API_URL ?? "http://localhost:8787").replace(/\/+$/, "");
const apiKey = process.env.ORDERS_API_KEY;
if (!apiKey) {
  console.error("Set ORDERS_API_KEY to an API key (e.g. the one `npm run dev` prints, or `npm run keys -- create`).");
  process.exit(2);
}

/** The newest D1 Sessions bookmark seen; sent back on every request so reads see our own writes. */
let bookmark: string | undefined;

const client = hc<AppType>(baseUrl, {
  headers: (): Record<string, string> => ({
    Authorization: `Bearer ${apiKey}`,
    ...(bookmark ? { "X-D1-Bookmark": bookmark } : {}),
  }),
  fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, init);
    bookmark = response.headers.get("X-D1-Bookmark") ?? bookmark;
    return response;
  },
});
const api = client.v1.dev;

class UnexpectedResponse extends Error {}

/** Throws with the status and the server's `{"message": ...}` body: called when a response has the wrong status. */
async function unexpected(res: { status: number; text(): Promise<string> }, expected: number, what: string) {
  const body = await res.text().catch(() => "");
  throw new UnexpectedResponse(`${what}: expected HTTP ${expected}, got ${res.status} ${body}`.trim());
}

async function main() {
  const stamp = new Date().toISOString();

  const customerRes = await api.crm.customers.$post({
    json: { name: "Ada Lovelace", email: "ada@example.com", company: "Analytical Engines Ltd" },
  });
  // Checking the status narrows the response type: json() is then typed as the 201 body, not the error shape.
  if (customerRes.status !== 201) return unexpected(customerRes, 201, "create customer");
  const { data: customer } = await customerRes.json();

  const productRes = await api.products.$post({
    json: { name: "Brass gear", price: 12.5, units_in_stock: 40, sku: `GEAR-${Date.now()}` },
  });
  if (productRes.status !== 201) return unexpected(productRes, 201, "create product");
  const { data: product } = await productRes.json();

  const orderRes = await api.crm.orders.$post({
    json: {
      customer_id: customer.id,
      items: [
        { product_id: product.id, quantity: 2 },
        { product_id: product.id, quantity: 1 },
      ],
      shipping_address: "12 St James's Square, London",
      notes: `Created by examples/orders-client.ts at ${stamp}`,
    },
  });
  if (orderRes.status !== 201) return unexpected(orderRes, 201, "create order");
  const { data: order } = await orderRes.json();

  const listRes = await api.crm.orders.$get({ query: { customer_id: customer.id, limit: "10" } });
  if (listRes.status !== 200) return unexpected(listRes, 200, "list orders");
  const { data: orders, pagination } = await listRes.json();

  if (!orders.some((o) => o.id === order.id)) {
    throw new UnexpectedResponse(`list orders: the order ${order.id} just created is missing from the list`);
  }

  console.log(`Orders API at ${baseUrl}`);
  console.log(`customer  ${customer.id}  ${customer.name} <${customer.email ?? "no email"}>`);
  console.log(`product   ${product.id}  ${product.name} @ ${product.price.toFixed(2)}`);
  console.log(`order     ${order.id}  ${order.status}  total ${order.total_amount.toFixed(2)}`);
  for (const item of order.orderItems) {
    console.log(
      `  - ${item.quantity} x ${item.product.name} @ ${item.unit_price.toFixed(2)} = ${item.total_amount.toFixed(2)}`,
    );
  }
  console.log(`orders of ${customer.name}: ${pagination.total} (page ${pagination.page}, limit ${pagination.limit})`);
  for (const o of orders) {
    console.log(
      `  - ${o.id}  ${o.order_date}  ${o.status}  ${o.total_amount.toFixed(2)}  ${o.orderItems.length} items`,
    );
  }
}

main().catch((error: unknown) => {
  if (error instanceof UnexpectedResponse) console.error(error.message);
  else if (error instanceof TypeError && error.message === "fetch failed") {
    console.error(`Could not reach the Orders API at ${baseUrl}: ${String(error.cause ?? error)}`);
  } else console.error(error);
  process.exit(1);
});

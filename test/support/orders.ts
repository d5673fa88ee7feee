import { env } from "cloudflare:test";
import { expect } from "vitest";
import { type Client, createCustomer, createProduct } from "./api";

/** ISO-8601 UTC with milliseconds, as every timestamp of the API is spelled. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A random UUID that names nothing. */
export const missingId = () => crypto.randomUUID();

/** POST /crm/orders that must succeed (201 with `{data}`); returns the order. */
export async function createOrder(api: Client, body: Record<string, unknown>) {
  const res = await api.post("/crm/orders", body);
  if (res.status !== 201) throw new Error(`order setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  expect(Object.keys(res.body)).toEqual(["data"]);
  return res.body.data;
}

/** GET /crm/orders/:id that must succeed; returns `{body, etag}` so callers can compare whole answers. */
export async function getOrder(api: Client, id: string) {
  const res = await api.get(`/crm/orders/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { body: res.body, etag: res.headers.get("ETag"), text: JSON.stringify(res.body) };
}

/** The ids of a list answer, in order. */
export const idsOf = (res: { body: { data: { id: string }[] } }) => res.body.data.map((order) => order.id);

/** Rows of `table` in `projectId` (or matching `where`), read straight from D1. */
export async function countRows(
  table: "orders" | "order_items" | "customers" | "products",
  projectId: string,
  where = "",
  ...params: unknown[]
) {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE project_id = ? ${where}`)
    .bind(projectId, ...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** A customer and some products (prices in currency units) in the client's project. */
export async function catalog(api: Client, prices: number[] = [10]) {
  const customer = await createCustomer(api, {
    name: "Grace Hopper",
    email: "grace@example.com",
    phone: "+1 555 0100",
    company: "Navy",
  });
  const products = [];
  for (const [i, price] of prices.entries()) {
    products.push(await createProduct(api, { name: `Product ${i}`, sku: `SKU-${i}`, price, units_in_stock: 5 }));
  }
  return { customer, products };
}

/** The `customer` object an order embeds, from a customer as the customers API returns it. */
export const customerSummary = (customer: any) => ({
  id: customer.id,
  name: customer.name,
  email: customer.email,
  phone: customer.phone,
  company: customer.company,
});

/** The `product` object an order line embeds, from a product as the products API returns it. */
export const productSummary = (product: any) => ({
  id: product.id,
  name: product.name,
  sku: product.sku,
  price: product.price,
  images: product.images,
});

/** Replaces every occurrence of `id` in a JSON-able value by a placeholder (to compare answers about ids). */
export const withoutId = (value: unknown, id: string) =>
  JSON.parse(JSON.stringify(value).replaceAll(id, "<id>").replaceAll(id.toUpperCase(), "<id>"));

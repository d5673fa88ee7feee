import { and, asc, desc, eq, fillPlaceholders, getTableColumns, type SQL, sql } from "drizzle-orm";
import { QueryBuilder, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { customers, orderItems, orders, productImages, products } from "../db/schema";
import type { Db } from "../env";
import { normalizeId } from "../lib/ids";
import { type ImageRow, type ProductRow, type ProductWithImages, withImages } from "../products/products.service";

// How an order is read with its customer, items, products and images: a page of orders through drizzle's
// relational query (nested JSON), one order through a flat JOIN (faster on D1 for a single order).

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type CustomerSummary = Pick<typeof customers.$inferSelect, "id" | "name" | "email" | "phone" | "company">;
export type FullOrder = OrderRow & {
  customer: CustomerSummary;
  orderItems: (OrderItemRow & { product: ProductWithImages })[];
};

export const customerSummary = {
  id: customers.id,
  name: customers.name,
  email: customers.email,
  phone: customers.phone,
  company: customers.company,
};

/**
 * The relational query that returns orders with their customer and items in one SQL statement (nested JSON),
 * compact for a page of orders. GET one order uses a flat join instead (`findOrder`), which D1 runs faster.
 */
export const withDetails = {
  customer: {
    columns: { id: true, name: true, email: true, phone: true, company: true },
  },
  orderItems: {
    orderBy: asc(orderItems.position),
    with: { product: { with: withImages } },
  },
} as const;

export const byId = (projectId: string, id: string) =>
  and(eq(orders.projectId, projectId), eq(orders.id, normalizeId(id)));

// Newest order_date first; created_at and id break ties so that pages never overlap or skip.
export const listOrder = [desc(orders.orderDate), desc(orders.createdAt), desc(orders.id)];

/**
 * GET one order reads the order with its customer, items, products and images as ONE flat JOIN statement: a row
 * per item and image, assembled by `assemble`. (The relational query returns the same as nested JSON subqueries,
 * which D1 runs slower for a single order: a GET took ~1.35x as long, see bench/RESULTS.md.) Every column is
 * selected under a name of its own (`<prefix>_<column>`): D1 answers with rows keyed by column name, where the
 * `id` of one table would overwrite the `id` of another.
 */
const detailColumns = (
  [
    ["order", "o", getTableColumns(orders)],
    ["customer", "c", customerSummary],
    ["item", "i", getTableColumns(orderItems)],
    ["product", "p", getTableColumns(products)],
    ["image", "im", getTableColumns(productImages)],
  ] as const
).flatMap(([group, prefix, columns]) =>
  Object.entries(columns as Record<string, SQLiteColumn>).map(([key, column]) => ({
    group,
    key,
    column,
    alias: `${prefix}_${column.name}`,
  })),
);

const detailFields: Record<string, Record<string, SQL.Aliased>> = {};
for (const { group, key, column, alias } of detailColumns) {
  detailFields[group] ??= {};
  (detailFields[group] as Record<string, SQL.Aliased>)[key] = sql`${column}`.mapWith(column).as(alias);
}

/** A detail row from a row D1 returned (keyed by the aliases), as drizzle would map it. */
function fromAliases(row: Record<string, unknown>): DetailRow {
  const detail: Record<string, Record<string, unknown>> = { order: {}, customer: {}, item: {}, product: {}, image: {} };
  for (const { group, key, column, alias } of detailColumns) {
    const value = row[alias];
    (detail[group] as Record<string, unknown>)[key] =
      value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return detail as unknown as DetailRow;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };
/** A detail row: the item, product and image columns are all null for an order without items (left joins). */
type DetailRow = {
  order: OrderRow;
  customer: CustomerSummary;
  item: Nullable<OrderItemRow>;
  product: Nullable<ProductRow>;
  image: Nullable<ImageRow>;
};

/** How the details join an order: its customer, then its items, their products and the products' images. */
const detailJoins = {
  customer: and(eq(customers.projectId, orders.projectId), eq(customers.id, orders.customerId)),
  item: and(eq(orderItems.projectId, orders.projectId), eq(orderItems.orderId, orders.id)),
  product: and(eq(products.projectId, orderItems.projectId), eq(products.id, orderItems.productId)),
  image: and(eq(productImages.projectId, products.projectId), eq(productImages.productId, products.id)),
};

/**
 * GET one order's statement, built once per module: its values are placeholders, so the SQL text is the same for
 * every order (building it per request cost about as much as D1 running it).
 */
const getOrderStatement = new QueryBuilder()
  .select(detailFields)
  .from(orders)
  .innerJoin(customers, detailJoins.customer)
  .leftJoin(orderItems, detailJoins.item)
  .leftJoin(products, detailJoins.product)
  .leftJoin(productImages, detailJoins.image)
  .where(and(eq(orders.projectId, sql.placeholder("projectId")), eq(orders.id, sql.placeholder("id"))))
  .toSQL();

/**
 * The order of some detail rows (one row per item and image), or undefined when there are none. Items and images
 * are sorted by position here rather than by SQL: a sort inside D1 would read every joined row once more.
 */
function assemble(detailRows: DetailRow[]): FullOrder | undefined {
  const first = detailRows[0];
  if (!first) return undefined;
  const order: FullOrder = { ...first.order, customer: first.customer, orderItems: [] };
  const byItem = new Map<string, FullOrder["orderItems"][number]>();
  for (const row of detailRows) {
    if (row.item.id === null || row.product.id === null) continue;
    let item = byItem.get(row.item.id);
    if (!item) {
      item = { ...(row.item as OrderItemRow), product: { ...(row.product as ProductRow), images: [] } };
      byItem.set(row.item.id, item);
      order.orderItems.push(item);
    }
    if (row.image.id !== null) item.product.images.push(row.image as ImageRow);
  }
  order.orderItems.sort(byPosition);
  for (const item of order.orderItems) item.product.images.sort(byPosition);
  return order;
}

const byPosition = (a: { position: number }, b: { position: number }) => a.position - b.position;

export async function findOrder(db: Db, projectId: string, id: string): Promise<FullOrder | undefined> {
  const { results } = await db.$client
    .prepare(getOrderStatement.sql)
    .bind(...fillPlaceholders(getOrderStatement.params, { projectId, id: normalizeId(id) }))
    .all<Record<string, unknown>>();
  return assemble(results.map(fromAliases));
}

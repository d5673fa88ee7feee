import { and, eq, type SQL, sql } from "drizzle-orm";
import { type AlsoWrite, insertRows, nothingElse } from "../db/rows";
import { customers, orderItems, orders, products } from "../db/schema";
import type { Db } from "../env";
import { etagCondition, type IfMatch, newEtag, preconditionFailed } from "../lib/concurrency";
import { badRequest, conflict, customerNotFound, orderNotFound, productNotFound } from "../lib/errors";
import { isUuid, newId, normalizeId } from "../lib/ids";
import { offsetOf } from "../lib/list";
import { MAX_TOTAL_CENTS, priceLines } from "../lib/money";
import { type ProductWithImages, withImages } from "../products/products.service";
import {
  byId,
  customerSummary,
  type FullOrder,
  findOrder,
  listOrder,
  type OrderItemRow,
  type OrderRow,
  withDetails,
} from "./orders.details";
import { countOrders, listFilter, matchesDrive } from "./orders.filters";
import type { CreateOrder, OrderListQuery, UpdateOrder } from "./orders.schemas";

export type { FullOrder } from "./orders.details";

export async function listOrders(db: Db, projectId: string, query: OrderListQuery) {
  const where = listFilter(projectId, query);
  const offset = offsetOf(query.page, query.limit);
  // When the matches drive, they must be sorted, and SQLite builds a row's details (customer, items) before
  // sorting: so the page's rowids are picked first (only their sort keys are read), and only those `limit` orders
  // get their details. An index walk in list order stops after the page by itself.
  const page: { where: SQL | undefined; limit?: number; offset?: number } = matchesDrive(query)
    ? {
        where: sql`${orders}.rowid IN ${db
          .select({ rowid: sql`${orders}.rowid` })
          .from(orders)
          .where(where)
          .orderBy(...listOrder)
          .limit(query.limit)
          .offset(offset)}`,
      }
    : { where, limit: query.limit, offset };
  const [[counted], rows] = await db.batch([
    countOrders(db, projectId, query, where),
    db.query.orders.findMany({ ...page, with: withDetails, orderBy: listOrder }),
  ]);
  return { rows: rows as FullOrder[], total: counted?.total ?? 0 };
}

export async function getOrder(db: Db, projectId: string, id: string): Promise<FullOrder> {
  const order = isUuid(id) ? await findOrder(db, projectId, id) : undefined;
  if (!order) throw orderNotFound();
  return order;
}

/** The customer (when asked for) and every distinct product of `productIds`, as one batch item each. */
function referenceReads(db: Db, projectId: string, customerId: string | undefined, productIds: string[]) {
  return [
    db
      .select(customerSummary)
      .from(customers)
      .where(and(eq(customers.projectId, projectId), eq(customers.id, customerId ?? ""))),
    // All ids travel as one JSON parameter: 100 items never approach D1's 100 bound parameters.
    db.query.products.findMany({
      where: and(
        eq(products.projectId, projectId),
        sql`${products.id} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(productIds)])}))`,
      ),
      with: withImages,
    }),
  ] as const;
}

type ItemInput = CreateOrder["items"][number];

/** Order lines priced from the products' current prices, in request order, totals in exact integer cents. */
function priceItems(projectId: string, orderId: string, items: ItemInput[], found: ProductWithImages[]) {
  const byProductId = new Map(found.map((product) => [product.id, product]));
  const missing = items.find((item) => !byProductId.has(item.product_id));
  if (missing) throw productNotFound(missing.product_id);
  const lines = items.map((item) => ({
    ...item,
    product: byProductId.get(item.product_id) as ProductWithImages,
  }));
  const priced = priceLines(
    lines.map((line) => ({
      unitPriceCents: line.product.priceCents,
      quantity: line.quantity,
    })),
  );
  if (!priced) {
    throw badRequest(`items: the order total would exceed ${MAX_TOTAL_CENTS / 100}`, [
      { field: "items", message: "order total too large" },
    ]);
  }
  const rows = lines.map((line, position) => ({
    projectId,
    id: newId(),
    orderId,
    productId: line.product_id,
    position,
    quantity: line.quantity,
    unitPriceCents: line.product.priceCents,
    totalCents: priced.lineTotals[position] as number,
    product: line.product,
  }));
  return { rows, totalCents: priced.totalCents };
}

const itemRow = ({ product: _product, ...row }: OrderItemRow & { product: unknown }): OrderItemRow => row;

/** A write that lost a race with a delete of its customer or a product fails a foreign key: say so plainly. */
async function referencesMustHold<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const text = `${(error as Error)?.message} ${((error as Error)?.cause as Error | undefined)?.message}`;
    if (text.includes("FOREIGN KEY constraint failed")) {
      throw conflict("The customer or a product of this order was deleted while the order was being written; retry");
    }
    throw error;
  }
}

export async function createOrder(
  db: Db,
  projectId: string,
  input: CreateOrder,
  alsoWrite: AlsoWrite<FullOrder> = nothingElse,
): Promise<FullOrder> {
  const productIds = input.items.map((item) => item.product_id);
  const [[customer], found] = await db.batch(referenceReads(db, projectId, input.customer_id, productIds));
  if (!customer) throw customerNotFound();
  const orderId = newId();
  const { rows, totalCents } = priceItems(projectId, orderId, input.items, found);
  const now = Date.now();
  const order: OrderRow = {
    projectId,
    id: orderId,
    customerId: input.customer_id,
    status: input.status ?? "pending",
    orderDate: input.order_date ?? now,
    shippingAddress: input.shipping_address ?? null,
    billingAddress: input.billing_address ?? null,
    notes: input.notes ?? null,
    totalCents,
    etag: newEtag(),
    createdAt: now,
    updatedAt: now,
  };
  const created: FullOrder = { ...order, customer, orderItems: rows };
  await referencesMustHold(
    db.batch([db.insert(orders).values(order), insertRows(db, orderItems, rows.map(itemRow)), ...alsoWrite(created)]),
  );
  return created;
}

export async function updateOrder(
  db: Db,
  projectId: string,
  id: string,
  input: UpdateOrder,
  ifMatch: IfMatch,
): Promise<FullOrder> {
  if (!isUuid(id)) throw orderNotFound();
  const orderId = normalizeId(id);
  const productIds = input.items?.map((item) => item.product_id) ?? [];
  const [[current], [customer], found] = await db.batch([
    db.select({ etag: orders.etag }).from(orders).where(byId(projectId, orderId)),
    ...referenceReads(db, projectId, input.customer_id, productIds),
  ]);
  if (!current) throw orderNotFound();
  if (Array.isArray(ifMatch) && !ifMatch.includes(current.etag)) throw preconditionFailed();
  if (input.customer_id && !customer) throw customerNotFound();
  const priced = input.items ? priceItems(projectId, orderId, input.items, found) : undefined;

  const etag = newEtag();
  // Items are replaced only if the order row itself was written by this request (carries its new etag).
  const writtenNow = sql`EXISTS (SELECT 1 FROM ${orders} WHERE ${and(byId(projectId, orderId), eq(orders.etag, etag))})`;
  const itemWrites = priced
    ? [
        db
          .delete(orderItems)
          .where(and(eq(orderItems.projectId, projectId), eq(orderItems.orderId, orderId), writtenNow)),
        insertRows(db, orderItems, priced.rows.map(itemRow), writtenNow),
      ]
    : [];
  const { items: _items, customer_id, order_date, shipping_address, billing_address, ...rest } = input;
  const [updated, ...results] = await referencesMustHold(
    db.batch([
      db
        .update(orders)
        .set({
          ...rest,
          ...(customer_id !== undefined && { customerId: customer_id }),
          ...(order_date !== undefined && { orderDate: order_date }),
          ...(shipping_address !== undefined && {
            shippingAddress: shipping_address,
          }),
          ...(billing_address !== undefined && {
            billingAddress: billing_address,
          }),
          ...(priced && { totalCents: priced.totalCents }),
          etag,
          updatedAt: Date.now(),
        })
        .where(and(byId(projectId, orderId), etagCondition(orders.etag, ifMatch)))
        .returning({ id: orders.id }),
      ...itemWrites,
      // findMany, not findFirst: inside a D1 batch drizzle's findFirst throws when no row matches (an order
      // deleted concurrently would turn into a 500 instead of a 404).
      db.query.orders.findMany({ where: byId(projectId, orderId), with: withDetails, limit: 1 }),
    ]),
  );
  const order = (results.at(-1) as FullOrder[])[0];
  if (updated.length && order) return order;
  throw order ? preconditionFailed() : orderNotFound();
}

export async function deleteOrder(db: Db, projectId: string, id: string, ifMatch: IfMatch): Promise<void> {
  if (!isUuid(id)) throw orderNotFound();
  const [[current], deleted] = await db.batch([
    db.select({ etag: orders.etag }).from(orders).where(byId(projectId, id)),
    db
      .delete(orders)
      .where(and(byId(projectId, id), etagCondition(orders.etag, ifMatch)))
      .returning({ id: orders.id }),
  ]);
  if (deleted.length) return;
  throw current ? preconditionFailed() : orderNotFound();
}

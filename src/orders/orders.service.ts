import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import { type AlsoWrite, insertRows, nothingElse } from "../db/rows";
import { customers, orderCounts, orderItems, orders, products } from "../db/schema";
import type { Db } from "../env";
import { etagCondition, type IfMatch, newEtag, preconditionFailed } from "../lib/concurrency";
import { badRequest, conflict, customerNotFound, orderNotFound, productNotFound } from "../lib/errors";
import { isUuid, newId, normalizeId } from "../lib/ids";
import { countWhere, offsetOf } from "../lib/list";
import { MAX_TOTAL_CENTS, priceLines } from "../lib/money";
import { type ProductWithImages, withImages } from "../products/products.service";
import type { CreateOrder, OrderListQuery, UpdateOrder } from "./orders.schemas";

type OrderRow = typeof orders.$inferSelect;
type OrderItemRow = typeof orderItems.$inferSelect;
type CustomerSummary = Pick<typeof customers.$inferSelect, "id" | "name" | "email" | "phone" | "company">;
export type FullOrder = OrderRow & {
  customer: CustomerSummary;
  orderItems: (OrderItemRow & { product: ProductWithImages })[];
};

const customerSummary = {
  id: customers.id,
  name: customers.name,
  email: customers.email,
  phone: customers.phone,
  company: customers.company,
};

/** The relational query that returns an order with its customer and items in one SQL statement. */
const withDetails = {
  customer: {
    columns: { id: true, name: true, email: true, phone: true, company: true },
  },
  orderItems: {
    orderBy: asc(orderItems.position),
    with: { product: { with: withImages } },
  },
} as const;

const byId = (projectId: string, id: string) => and(eq(orders.projectId, projectId), eq(orders.id, normalizeId(id)));

const findOrder = (db: Db, projectId: string, id: string) =>
  db.query.orders.findFirst({
    where: byId(projectId, id),
    with: withDetails,
  });

// Newest order_date first; created_at and id break ties so that pages never overlap or skip.
const listOrder = [desc(orders.orderDate), desc(orders.createdAt), desc(orders.id)];

function listFilter(projectId: string, query: OrderListQuery): SQL | undefined {
  const indexedSearch = usesSearchIndex(query.search);
  return and(
    // With an indexed search, `+` keeps SQLite from walking the project's index and checking every order
    // against the matches: the matches drive the query instead, so it reads in proportion to them.
    indexedSearch ? sql`+${orders.projectId} = ${projectId}` : eq(orders.projectId, projectId),
    query.status ? eq(orders.status, query.status) : undefined,
    query.customer_id ? eq(orders.customerId, query.customer_id) : undefined,
    // Plain identifiers on purpose: a relational query (findMany) re-aliases every column object in its `where`
    // to its own table, which would turn order_items.order_id into orders.order_id (no such column: a 500).
    query.product_id
      ? sql`${orders.id} IN (SELECT "oi"."order_id" FROM ${orderItems} AS "oi" WHERE "oi"."project_id" = ${projectId} AND "oi"."product_id" = ${query.product_id})`
      : undefined,
    indexedSearch
      ? sql`${orders}.rowid IN (SELECT rowid FROM orders_search WHERE orders_search MATCH ${ftsPhrase(query.search as string)})`
      : shortTermSearch(query.search),
  );
}

/**
 * A 1- or 2-character term: a plain substring test of each of its spellings with every character in any case
 * (at most 9), sent as one JSON parameter. SQLite's lower() folds ASCII only, so lower(column) against a
 * JS-lowercased term never found "Ü" in "MÜNCHEN", not even spelled exactly; the FTS path folds Unicode.
 */
function shortTermSearch(term: string | undefined): SQL | undefined {
  if (!term) return undefined;
  const columns = [orders.notes, orders.billingAddress, orders.shippingAddress];
  return sql`EXISTS (SELECT 1 FROM json_each(${JSON.stringify(caseVariants(term))}) WHERE ${sql.join(
    columns.map((column) => sql`instr(${column}, value) > 0`),
    sql` OR `,
  )})`;
}

function caseVariants(term: string): string[] {
  let variants = [""];
  for (const char of term) {
    const forms = new Set([char, char.toLowerCase(), char.toUpperCase()].filter((form) => [...form].length === 1));
    variants = variants.flatMap((prefix) => [...forms].map((form) => prefix + form));
  }
  return [...new Set(variants)];
}

/**
 * Search is a case-insensitive substring match over notes and both addresses. Terms of 3+ characters use the
 * trigram FTS index (drizzle/0003); shorter ones cannot be trigram-indexed and scan the project's orders.
 */
const usesSearchIndex = (term: string | undefined): term is string => !!term && [...term].length >= 3;

/** A quoted FTS5 phrase: no operators or wildcards, so %, _ and \ match themselves. */
const ftsPhrase = (term: string) => `"${term.replaceAll('"', '""')}"`;

/** The list's total: from the per-status counters when only status (or nothing) filters, else a COUNT. */
function countOrders(db: Db, projectId: string, query: OrderListQuery, where: SQL | undefined) {
  if (query.search || query.customer_id || query.product_id) return countWhere(db, orders, where);
  return db
    .select({ total: sql<number>`coalesce(sum(${orderCounts.count}), 0)` })
    .from(orderCounts)
    .where(and(eq(orderCounts.projectId, projectId), query.status ? eq(orderCounts.status, query.status) : undefined));
}

export async function listOrders(db: Db, projectId: string, query: OrderListQuery) {
  const where = listFilter(projectId, query);
  const [[counted], rows] = await db.batch([
    countOrders(db, projectId, query, where),
    db.query.orders.findMany({
      where,
      with: withDetails,
      orderBy: listOrder,
      limit: query.limit,
      offset: offsetOf(query.page, query.limit),
    }),
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

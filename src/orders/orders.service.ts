import { and, asc, desc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type AlsoWrite, insertRows, nothingElse } from "../db/rows";
import { customers, orderCounts, orderItems, orders, productImages, products } from "../db/schema";
import type { Db } from "../env";
import { etagCondition, type IfMatch, newEtag, preconditionFailed } from "../lib/concurrency";
import { badRequest, conflict, customerNotFound, orderNotFound, productNotFound } from "../lib/errors";
import { isUuid, newId, normalizeId } from "../lib/ids";
import { countWhere, offsetOf } from "../lib/list";
import { MAX_TOTAL_CENTS, priceLines } from "../lib/money";
import { type ImageRow, type ProductRow, type ProductWithImages, withImages } from "../products/products.service";
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

/**
 * The relational query that returns orders with their customer and items in one SQL statement (nested JSON),
 * compact for a page of orders. GET one order uses a flat join instead (`findOrder`), which D1 runs faster.
 */
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

// Newest order_date first; created_at and id break ties so that pages never overlap or skip.
const listOrder = [desc(orders.orderDate), desc(orders.createdAt), desc(orders.id)];

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

/** One order with its details: one statement (usable in a batch). */
const orderDetails = (db: Db, projectId: string, id: string) =>
  db
    .select(detailFields)
    .from(orders)
    .innerJoin(customers, detailJoins.customer)
    .leftJoin(orderItems, detailJoins.item)
    .leftJoin(products, detailJoins.product)
    .leftJoin(productImages, detailJoins.image)
    .where(byId(projectId, id));

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

/**
 * An indexed search or a product filter lists the rowids of its matches, which then drive the query: it reads in
 * proportion to the matches. Other filters walk an index in list order and stop after the page.
 */
const matchesDrive = (query: OrderListQuery) => usesSearchIndex(query.search) || query.product_id !== undefined;

function listFilter(projectId: string, query: OrderListQuery): SQL | undefined {
  const indexedSearch = usesSearchIndex(query.search);
  return and(
    // `+` keeps SQLite from walking the project's list index and checking every order against the matches (a
    // rarely ordered product or a rare term would then read the whole project): the matches drive instead.
    matchesDrive(query) ? sql`+${orders.projectId} = ${projectId}` : eq(orders.projectId, projectId),
    query.status ? eq(orders.status, query.status) : undefined,
    query.customer_id ? eq(orders.customerId, query.customer_id) : undefined,
    // Plain identifiers on purpose: a relational query (findMany) re-aliases every column object in its `where`
    // to its own table, which would turn order_items.order_id into orders.order_id (no such column: a 500).
    query.product_id
      ? sql`${orders}.rowid IN (SELECT "o"."rowid" FROM "order_items" AS "oi" JOIN "orders" AS "o" ON "o"."project_id" = "oi"."project_id" AND "o"."id" = "oi"."order_id" WHERE "oi"."project_id" = ${projectId} AND "oi"."product_id" = ${query.product_id})`
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

/**
 * The list's total: from the per-status counters when only status (or nothing) filters; for a product alone, the
 * distinct orders of its lines (one covering index entry per line, no order row); else a COUNT of the filter.
 */
function countOrders(db: Db, projectId: string, query: OrderListQuery, where: SQL | undefined) {
  if (query.product_id && !query.search && !query.customer_id && !query.status) {
    return db
      .select({ total: sql<number>`count(DISTINCT ${orderItems.orderId})` })
      .from(orderItems)
      .where(and(eq(orderItems.projectId, projectId), eq(orderItems.productId, query.product_id)));
  }
  if (query.search || query.customer_id || query.product_id) return countWhere(db, orders, where);
  return db
    .select({ total: sql<number>`coalesce(sum(${orderCounts.count}), 0)` })
    .from(orderCounts)
    .where(and(eq(orderCounts.projectId, projectId), query.status ? eq(orderCounts.status, query.status) : undefined));
}

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

/**
 * GET's statement text. Its values are bound parameters, so the text is the same for every order: drizzle builds
 * it once per isolate (building it cost about as much as D1 running it).
 */
let getOrderStatement: string | undefined;

async function findOrder(db: Db, projectId: string, id: string): Promise<FullOrder | undefined> {
  const values = [projectId, normalizeId(id)];
  if (getOrderStatement === undefined) {
    const built = orderDetails(db, projectId, id).toSQL();
    if (JSON.stringify(built.params) !== JSON.stringify(values)) {
      return assemble((await orderDetails(db, projectId, id)) as unknown as DetailRow[]);
    }
    getOrderStatement = built.sql;
  }
  // The D1 client (the request's session) that drizzle's `drizzle(client)` exposes as `$client`.
  const { results } = await (db as Db & { $client: D1Database }).$client
    .prepare(getOrderStatement)
    .bind(...values)
    .all<Record<string, unknown>>();
  return assemble(results.map(fromAliases));
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

import { and, eq, type SQL, sql } from "drizzle-orm";
import { orderCounts, orderItems, orders } from "../db/schema";
import type { Db } from "../env";
import { countWhere } from "../lib/list";
import type { OrderListQuery } from "./orders.schemas";

// The list's filters (status, customer, product, search) and its total.

/**
 * An indexed search or a product filter lists the rowids of its matches, which then drive the query: it reads in
 * proportion to the matches. Other filters walk an index in list order and stop after the page.
 */
export const matchesDrive = (query: OrderListQuery) => usesSearchIndex(query.search) || query.product_id !== undefined;

export function listFilter(projectId: string, query: OrderListQuery): SQL | undefined {
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
export function countOrders(db: Db, projectId: string, query: OrderListQuery, where: SQL | undefined) {
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

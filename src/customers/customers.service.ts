import { and, asc, eq, sql } from "drizzle-orm";
import { type AlsoWrite, nothingElse } from "../db/rows";
import { customers, orders } from "../db/schema";
import type { Db } from "../env";
import { etagCondition, type IfMatch, newEtag, preconditionFailed } from "../lib/concurrency";
import { conflict, customerNotFound } from "../lib/errors";
import { isUuid, newId, normalizeId } from "../lib/ids";
import { containsText, countWhere, offsetOf } from "../lib/list";
import type { CreateCustomer, CustomerListQuery, UpdateCustomer } from "./customers.schemas";

export type CustomerRow = typeof customers.$inferSelect;

const byId = (projectId: string, id: string) =>
  and(eq(customers.projectId, projectId), eq(customers.id, normalizeId(id)));

export async function listCustomers(db: Db, projectId: string, query: CustomerListQuery) {
  const where = and(
    eq(customers.projectId, projectId),
    containsText(query.search, [customers.name, customers.email, customers.company]),
  );
  const [[counted], rows] = await db.batch([
    countWhere(db, customers, where),
    db
      .select()
      .from(customers)
      .where(where)
      .orderBy(asc(customers.createdAt), asc(customers.id))
      .limit(query.limit)
      .offset(offsetOf(query.page, query.limit)),
  ]);
  return { rows, total: counted?.total ?? 0 };
}

export async function getCustomer(db: Db, projectId: string, id: string): Promise<CustomerRow> {
  const row = isUuid(id) ? await db.select().from(customers).where(byId(projectId, id)).get() : undefined;
  if (!row) throw customerNotFound();
  return row;
}

export async function createCustomer(
  db: Db,
  projectId: string,
  input: CreateCustomer,
  alsoWrite: AlsoWrite<CustomerRow> = nothingElse,
): Promise<CustomerRow> {
  const now = Date.now();
  const row: CustomerRow = {
    projectId,
    id: newId(),
    name: input.name,
    email: input.email ?? null,
    phone: input.phone ?? null,
    company: input.company ?? null,
    etag: newEtag(),
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([db.insert(customers).values(row), ...alsoWrite(row)]);
  return row;
}

export async function updateCustomer(
  db: Db,
  projectId: string,
  id: string,
  input: UpdateCustomer,
  ifMatch: IfMatch,
): Promise<CustomerRow> {
  if (!isUuid(id)) throw customerNotFound();
  const [updated, [current]] = await db.batch([
    db
      .update(customers)
      .set({ ...input, etag: newEtag(), updatedAt: Date.now() })
      .where(and(byId(projectId, id), etagCondition(customers.etag, ifMatch)))
      .returning(),
    db.select({ id: customers.id }).from(customers).where(byId(projectId, id)),
  ]);
  if (updated[0]) return updated[0];
  throw current ? preconditionFailed() : customerNotFound();
}

export async function deleteCustomer(db: Db, projectId: string, id: string, ifMatch: IfMatch): Promise<void> {
  if (!isUuid(id)) throw customerNotFound();
  const customerId = normalizeId(id);
  const referenced = sql`EXISTS (SELECT 1 FROM ${orders} WHERE ${orders.projectId} = ${projectId} AND ${orders.customerId} = ${customerId})`;
  const [[state], deleted] = await db.batch([
    db
      .select({ etag: customers.etag, referenced: sql<number>`${referenced}` })
      .from(customers)
      .where(byId(projectId, id)),
    db
      .delete(customers)
      .where(and(byId(projectId, id), etagCondition(customers.etag, ifMatch), sql`NOT ${referenced}`))
      .returning({ id: customers.id }),
  ]);
  if (deleted.length) return;
  if (!state) throw customerNotFound();
  if (state.referenced) throw conflict("Customer has orders and cannot be deleted; delete its orders first");
  throw preconditionFailed();
}

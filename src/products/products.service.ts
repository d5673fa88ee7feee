import { and, asc, eq, sql } from "drizzle-orm";
import { type AlsoWrite, insertRows, nothingElse } from "../db/rows";
import { orderItems, productImages, products } from "../db/schema";
import type { Db } from "../env";
import { etagCondition, type IfMatch, newEtag, preconditionFailed } from "../lib/concurrency";
import { conflict, productNotFound } from "../lib/errors";
import { isUuid, newId, normalizeId } from "../lib/ids";
import { containsText, countWhere, offsetOf } from "../lib/list";
import type { CreateProduct, ProductListQuery, UpdateProduct } from "./products.schemas";

export type ProductRow = typeof products.$inferSelect;
export type ImageRow = typeof productImages.$inferSelect;
export type ProductWithImages = ProductRow & { images: ImageRow[] };

const byId = (projectId: string, id: string) =>
  and(eq(products.projectId, projectId), eq(products.id, normalizeId(id)));

export const withImages = {
  images: { orderBy: asc(productImages.position) },
} as const;

const findProduct = (db: Db, projectId: string, id: string) =>
  db.query.products.findFirst({ where: byId(projectId, id), with: withImages });

function imageRows(projectId: string, productId: string, images: NonNullable<CreateProduct["images"]>): ImageRow[] {
  return images.map((image, position) => ({
    projectId,
    id: newId(),
    productId,
    position,
    url: image.url,
    name: image.name ?? null,
  }));
}

export async function listProducts(db: Db, projectId: string, query: ProductListQuery) {
  const where = and(
    eq(products.projectId, projectId),
    query.status ? eq(products.status, query.status) : undefined,
    containsText(query.search, [products.name, products.description, products.sku]),
  );
  const [[counted], rows] = await db.batch([
    countWhere(db, products, where),
    db.query.products.findMany({
      where,
      with: withImages,
      orderBy: [asc(products.createdAt), asc(products.id)],
      limit: query.limit,
      offset: offsetOf(query.page, query.limit),
    }),
  ]);
  return { rows, total: counted?.total ?? 0 };
}

export async function getProduct(db: Db, projectId: string, id: string): Promise<ProductWithImages> {
  const row = isUuid(id) ? await findProduct(db, projectId, id) : undefined;
  if (!row) throw productNotFound(id);
  return row;
}

export async function createProduct(
  db: Db,
  projectId: string,
  input: CreateProduct,
  alsoWrite: AlsoWrite<ProductWithImages> = nothingElse,
): Promise<ProductWithImages> {
  const now = Date.now();
  const product: ProductRow = {
    projectId,
    id: newId(),
    name: input.name,
    description: input.description ?? null,
    sku: input.sku ?? null,
    categoryId: input.category_id ?? null,
    priceCents: input.price,
    unitsInStock: input.units_in_stock,
    status: input.status ?? "active",
    etag: newEtag(),
    createdAt: now,
    updatedAt: now,
  };
  const images = imageRows(projectId, product.id, input.images ?? []);
  const created = { ...product, images };
  await db.batch([
    db.insert(products).values(product),
    ...(images.length ? [insertRows(db, productImages, images)] : []),
    ...alsoWrite(created),
  ]);
  return created;
}

export async function updateProduct(
  db: Db,
  projectId: string,
  id: string,
  input: UpdateProduct,
  ifMatch: IfMatch,
): Promise<ProductWithImages> {
  if (!isUuid(id)) throw productNotFound(id);
  const productId = normalizeId(id);
  const etag = newEtag();
  const { price, units_in_stock, category_id, images, ...text } = input;
  // Image replacement runs only if the product row itself was written by this request (its new etag).
  const writtenNow = sql`EXISTS (SELECT 1 FROM ${products} WHERE ${and(byId(projectId, productId), eq(products.etag, etag))})`;
  const imageWrites = images
    ? [
        db
          .delete(productImages)
          .where(and(eq(productImages.projectId, projectId), eq(productImages.productId, productId), writtenNow)),
        insertRows(db, productImages, imageRows(projectId, productId, images), writtenNow),
      ]
    : [];
  const [updated, ...rest] = await db.batch([
    db
      .update(products)
      .set({
        ...text,
        ...(price !== undefined && { priceCents: price }),
        ...(units_in_stock !== undefined && { unitsInStock: units_in_stock }),
        ...(category_id !== undefined && { categoryId: category_id }),
        etag,
        updatedAt: Date.now(),
      })
      .where(and(byId(projectId, productId), etagCondition(products.etag, ifMatch)))
      .returning({ id: products.id }),
    ...imageWrites,
    // findMany, not findFirst: inside a D1 batch, drizzle's findFirst throws when no row matches (its result
    // mapper is handed `undefined`), which turned a PUT of a missing product into a 500.
    db.query.products.findMany({ where: byId(projectId, productId), with: withImages, limit: 1 }),
  ]);
  const current = (rest.at(-1) as ProductWithImages[])[0];
  if (updated.length && current) return current;
  throw current ? preconditionFailed() : productNotFound(id);
}

export async function deleteProduct(db: Db, projectId: string, id: string, ifMatch: IfMatch): Promise<void> {
  if (!isUuid(id)) throw productNotFound(id);
  const productId = normalizeId(id);
  const referenced = sql`EXISTS (SELECT 1 FROM ${orderItems} WHERE ${orderItems.projectId} = ${projectId} AND ${orderItems.productId} = ${productId})`;
  const [[state], deleted] = await db.batch([
    db
      .select({ etag: products.etag, referenced: sql<number>`${referenced}` })
      .from(products)
      .where(byId(projectId, productId)),
    db
      .delete(products)
      .where(and(byId(projectId, productId), etagCondition(products.etag, ifMatch), sql`NOT ${referenced}`))
      .returning({ id: products.id }),
  ]);
  if (deleted.length) return;
  if (!state) throw productNotFound(id);
  if (state.referenced)
    throw conflict("Product is used by orders and cannot be deleted; set its status to discontinued instead");
  throw preconditionFailed();
}

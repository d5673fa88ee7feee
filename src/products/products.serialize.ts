import { fromCents } from "../lib/money";
import { iso } from "../lib/time";
import type { ImageRow, ProductWithImages } from "./products.service";

export const serializeImage = (image: ImageRow) => ({
  id: image.id,
  url: image.url,
  name: image.name,
});

export const serializeProduct = (row: ProductWithImages) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  sku: row.sku,
  category_id: row.categoryId,
  price: fromCents(row.priceCents),
  units_in_stock: row.unitsInStock,
  status: row.status,
  images: row.images.map(serializeImage),
  project_id: row.projectId,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

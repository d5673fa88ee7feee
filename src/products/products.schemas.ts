import { z } from "@hono/zod-openapi";
import { MAX_PRICE_CENTS, toCents } from "../lib/money";
import { listQuery, optionalText, pagination, requiredText, timestamp, uuid } from "../lib/schemas";

export const productStatuses = ["active", "inactive", "discontinued"] as const;

/** A price in currency units (at most 2 decimals), validated and converted to integer cents. */
const price = z
  .number()
  .min(0)
  .max(MAX_PRICE_CENTS / 100)
  .transform((amount, ctx) => {
    const cents = toCents(amount);
    if (cents === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "must have at most 2 decimal places",
      });
      return z.NEVER;
    }
    return cents;
  })
  .openapi({
    type: "number",
    example: 99.99,
    description: "Currency units, at most 2 decimals",
  });

const imageInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  name: optionalText(200),
});

export const createProductBody = z
  .strictObject({
    name: requiredText(200),
    price,
    units_in_stock: z.int().min(0).max(1_000_000_000),
    description: optionalText(5000),
    sku: optionalText(100),
    category_id: uuid().nullable().optional(),
    status: z.enum(productStatuses).optional(),
    images: z.array(imageInput).max(20).optional(),
  })
  .openapi("CreateProduct");

export const updateProductBody = createProductBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, {
    error: "Request body must contain at least one field",
  })
  .openapi("UpdateProduct");

export const productListQuery = listQuery.extend({
  status: z
    .enum(productStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
});

export const productParams = z.object({
  productId: z.string().openapi({ param: { name: "productId", in: "path" }, format: "uuid" }),
});

export const imageSchema = z.object({ id: uuid(), url: z.string(), name: z.string().nullable() }).openapi("Image");

export const productSchema = z
  .object({
    id: uuid(),
    name: z.string(),
    description: z.string().nullable(),
    sku: z.string().nullable(),
    category_id: z.string().nullable(),
    price: z.number(),
    units_in_stock: z.number().int(),
    status: z.enum(productStatuses),
    images: z.array(imageSchema),
    project_id: uuid(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi("Product");

export const productResponse = z.object({ data: productSchema });
export const productListResponse = z.object({
  data: z.array(productSchema),
  pagination,
});

export type CreateProduct = z.output<typeof createProductBody>;
export type UpdateProduct = z.output<typeof updateProductBody>;
export type ProductListQuery = z.output<typeof productListQuery>;

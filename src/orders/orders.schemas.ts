import { z } from "@hono/zod-openapi";
import { orderStatuses } from "../db/schema";
import { parseIsoDate } from "../lib/dates";
import { listQuery, optionalText, pagination, timestamp, uuid } from "../lib/schemas";
import { imageSchema } from "../products/products.schemas";

export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 1_000_000;

const item = z.strictObject({
  product_id: uuid(),
  quantity: z.int().min(1).max(MAX_QUANTITY).openapi({ example: 2 }),
});

const items = z.array(item).min(1).max(MAX_ITEMS);

const orderDate = z
  .string()
  .transform((value, ctx) => {
    const ms = parseIsoDate(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "must be an ISO-8601 date-time with a time zone, e.g. 2024-01-20T10:00:00.000Z",
      });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({
    type: "string",
    format: "date-time",
    example: "2024-01-20T10:00:00.000Z",
  });

const status = z.enum(orderStatuses);

export const createOrderBody = z
  .strictObject({
    customer_id: uuid(),
    items,
    status: status.optional(),
    order_date: orderDate.optional(),
    shipping_address: optionalText(500),
    billing_address: optionalText(500),
    notes: optionalText(2000),
  })
  .openapi("CreateOrder");

export const updateOrderBody = createOrderBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, {
    error: "Request body must contain at least one field",
  })
  .openapi("UpdateOrder");

export const orderListQuery = listQuery.extend({
  status: status.optional().openapi({ param: { name: "status", in: "query" } }),
  customer_id: uuid()
    .optional()
    .openapi({ param: { name: "customer_id", in: "query" } }),
  product_id: uuid()
    .optional()
    .openapi({
      param: { name: "product_id", in: "query" },
      description: "Orders with at least one item of this product",
    }),
});

export const orderParams = z.object({
  orderId: z.string().openapi({ param: { name: "orderId", in: "path" }, format: "uuid" }),
});

const money = z.number().openapi({
  example: 199.98,
  description: "Currency units, at most 2 decimals",
});

export const orderSchema = z
  .object({
    id: uuid(),
    customer_id: uuid(),
    total_amount: money,
    status,
    order_date: timestamp(),
    shipping_address: z.string().nullable(),
    billing_address: z.string().nullable(),
    notes: z.string().nullable(),
    project_id: uuid(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    customer: z.object({
      id: uuid(),
      name: z.string(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
      company: z.string().nullable(),
    }),
    orderItems: z.array(
      z.object({
        id: uuid(),
        order_id: uuid(),
        product_id: uuid(),
        quantity: z.number().int(),
        unit_price: money,
        total_amount: money,
        product: z.object({
          id: uuid(),
          name: z.string(),
          sku: z.string().nullable(),
          price: money,
          images: z.array(imageSchema),
        }),
      }),
    ),
  })
  .openapi("Order");

export const orderResponse = z.object({ data: orderSchema });
export const orderListResponse = z.object({
  data: z.array(orderSchema),
  pagination,
});

export type CreateOrder = z.output<typeof createOrderBody>;
export type UpdateOrder = z.output<typeof updateOrderBody>;
export type OrderListQuery = z.output<typeof orderListQuery>;

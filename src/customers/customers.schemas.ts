import { z } from "@hono/zod-openapi";
import { listQuery, optionalText, pagination, requiredText, timestamp, uuid } from "../lib/schemas";

const email = z.email().max(254).nullable().optional();

export const createCustomerBody = z
  .strictObject({
    name: requiredText(200),
    email,
    phone: optionalText(50),
    company: optionalText(200),
  })
  .openapi("CreateCustomer");

export const updateCustomerBody = createCustomerBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, {
    error: "Request body must contain at least one field",
  })
  .openapi("UpdateCustomer");

export const customerListQuery = listQuery;

export const customerParams = z.object({
  customerId: z.string().openapi({ param: { name: "customerId", in: "path" }, format: "uuid" }),
});

export const customerSchema = z
  .object({
    id: uuid(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    company: z.string().nullable(),
    project_id: uuid(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi("Customer");

export const customerResponse = z.object({ data: customerSchema });
export const customerListResponse = z.object({
  data: z.array(customerSchema),
  pagination,
});

export type CreateCustomer = z.output<typeof createCustomerBody>;
export type UpdateCustomer = z.output<typeof updateCustomerBody>;
export type CustomerListQuery = z.output<typeof customerListQuery>;

import { idempotent } from "../idempotency/idempotency";
import { etagHeader, parseIfMatch } from "../lib/concurrency";
import { createRouter } from "../lib/router";
import {
  createCustomerRoute,
  deleteCustomerRoute,
  getCustomerRoute,
  listCustomersRoute,
  updateCustomerRoute,
} from "./customers.routes";
import { serializeCustomer } from "./customers.serialize";
import { createCustomer, deleteCustomer, getCustomer, listCustomers, updateCustomer } from "./customers.service";

export const customersRouter = createRouter()
  .openapi(listCustomersRoute, async (c) => {
    const query = c.req.valid("query");
    const { rows, total } = await listCustomers(c.var.db, c.var.projectId, query);
    return c.json(
      {
        data: rows.map(serializeCustomer),
        pagination: { total, page: query.page, limit: query.limit },
      },
      200,
    );
  })
  .openapi(createCustomerRoute, async (c) => {
    const input = c.req.valid("json");
    return idempotent(c, input, async (remember) => {
      const created = await createCustomer(c.var.db, c.var.projectId, input, (row) =>
        remember(201, { data: serializeCustomer(row) }),
      );
      c.header("ETag", etagHeader(created.etag));
      return c.json({ data: serializeCustomer(created) }, 201);
    });
  })
  .openapi(getCustomerRoute, async (c) => {
    const row = await getCustomer(c.var.db, c.var.projectId, c.req.valid("param").customerId);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeCustomer(row) }, 200);
  })
  .openapi(updateCustomerRoute, async (c) => {
    const { customerId } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    const row = await updateCustomer(c.var.db, c.var.projectId, customerId, c.req.valid("json"), ifMatch);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeCustomer(row) }, 200);
  })
  .openapi(deleteCustomerRoute, async (c) => {
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    await deleteCustomer(c.var.db, c.var.projectId, c.req.valid("param").customerId, ifMatch);
    return c.json({ message: "Customer deleted successfully" }, 200);
  });

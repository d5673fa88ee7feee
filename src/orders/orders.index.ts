import { idempotent } from "../idempotency/idempotency";
import { etagHeader, parseIfMatch } from "../lib/concurrency";
import { createRouter } from "../lib/router";
import { createOrderRoute, deleteOrderRoute, getOrderRoute, listOrdersRoute, updateOrderRoute } from "./orders.routes";
import { serializeOrder } from "./orders.serialize";
import { createOrder, deleteOrder, getOrder, listOrders, updateOrder } from "./orders.service";

export const ordersRouter = createRouter()
  .openapi(listOrdersRoute, async (c) => {
    const query = c.req.valid("query");
    const { rows, total } = await listOrders(c.var.db, c.var.projectId, query);
    return c.json(
      {
        data: rows.map(serializeOrder),
        pagination: { total, page: query.page, limit: query.limit },
      },
      200,
    );
  })
  .openapi(createOrderRoute, async (c) => {
    const input = c.req.valid("json");
    return idempotent(c, input, async (remember) => {
      const created = await createOrder(c.var.db, c.var.projectId, input, (row) =>
        remember(201, { data: serializeOrder(row) }),
      );
      c.header("ETag", etagHeader(created.etag));
      return c.json({ data: serializeOrder(created) }, 201);
    });
  })
  .openapi(getOrderRoute, async (c) => {
    const row = await getOrder(c.var.db, c.var.projectId, c.req.valid("param").orderId);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeOrder(row) }, 200);
  })
  .openapi(updateOrderRoute, async (c) => {
    const { orderId } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    const row = await updateOrder(c.var.db, c.var.projectId, orderId, c.req.valid("json"), ifMatch);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeOrder(row) }, 200);
  })
  .openapi(deleteOrderRoute, async (c) => {
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    await deleteOrder(c.var.db, c.var.projectId, c.req.valid("param").orderId, ifMatch);
    return c.json({ message: "Order deleted successfully" }, 200);
  });

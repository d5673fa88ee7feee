import { idempotent } from "../idempotency/idempotency";
import { etagHeader, parseIfMatch } from "../lib/concurrency";
import { createRouter } from "../lib/router";
import {
  createProductRoute,
  deleteProductRoute,
  getProductRoute,
  listProductsRoute,
  updateProductRoute,
} from "./products.routes";
import { serializeProduct } from "./products.serialize";
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct } from "./products.service";

export const productsRouter = createRouter()
  .openapi(listProductsRoute, async (c) => {
    const query = c.req.valid("query");
    const { rows, total } = await listProducts(c.var.db, c.var.projectId, query);
    return c.json(
      {
        data: rows.map(serializeProduct),
        pagination: { total, page: query.page, limit: query.limit },
      },
      200,
    );
  })
  .openapi(createProductRoute, async (c) => {
    const input = c.req.valid("json");
    return idempotent(c, input, async (remember) => {
      const created = await createProduct(c.var.db, c.var.projectId, input, (row) =>
        remember(201, { data: serializeProduct(row) }),
      );
      c.header("ETag", etagHeader(created.etag));
      return c.json({ data: serializeProduct(created) }, 201);
    });
  })
  .openapi(getProductRoute, async (c) => {
    const row = await getProduct(c.var.db, c.var.projectId, c.req.valid("param").productId);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeProduct(row) }, 200);
  })
  .openapi(updateProductRoute, async (c) => {
    const { productId } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    const row = await updateProduct(c.var.db, c.var.projectId, productId, c.req.valid("json"), ifMatch);
    c.header("ETag", etagHeader(row.etag));
    return c.json({ data: serializeProduct(row) }, 200);
  })
  .openapi(deleteProductRoute, async (c) => {
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    await deleteProduct(c.var.db, c.var.projectId, c.req.valid("param").productId, ifMatch);
    return c.json({ message: "Product deleted successfully" }, 200);
  });

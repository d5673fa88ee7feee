import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { customersRouter } from "./customers/customers.index";
import { docsPage } from "./docs/docs";
import { corsFromConfig } from "./lib/cors";
import { ApiError, handleError, handleNotFound } from "./lib/errors";
import { requestContext } from "./lib/request-context";
import { createRouter } from "./lib/router";
import { jsonContent } from "./lib/schemas";
import { ordersRouter } from "./orders/orders.index";
import { productsRouter } from "./products/products.index";

export const BASE_PATH = "/v1/dev";
export const MAX_BODY_BYTES = 1024 * 1024;

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Service"],
  summary: "Liveness check (no key, reveals nothing about data)",
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }), "The service is up"),
  },
});

export function createApp() {
  const api = createRouter()
    .openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200))
    .route("/", customersRouter)
    .route("/", productsRouter)
    .route("/", ordersRouter);

  const app = createRouter();
  app.use(requestContext);
  app.use(`${BASE_PATH}/*`, corsFromConfig);
  app.use(
    `${BASE_PATH}/*`,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, `Request body too large (limit ${MAX_BODY_BYTES} bytes)`);
      },
    }),
  );
  app.onError(handleError);
  app.notFound(handleNotFound);

  const routes = app.route(BASE_PATH, api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (oak_...) made with `npm run keys -- create`",
  });
  app.doc31(`${BASE_PATH}/openapi.json`, {
    openapi: "3.1.0",
    info: {
      title: "Orders API",
      version: "1.0.0",
      description: "Manage customer orders, customers and products in your CRM workspace.",
    },
  });
  app.get("/docs", docsPage);
  return routes;
}

export const app = createApp();
export type AppType = typeof app;

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { METHOD_NAME_ALL } from "hono/router";
import type { AppEnv } from "../env";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The pattern of the route that answered (e.g. /v1/dev/crm/orders/:orderId), or null when no route matched
 * (an unknown path, a CORS preflight): middleware registered with `use` matches every path, so it never names
 * the route.
 */
const routePattern = (c: Context<AppEnv>) =>
  matchedRoutes(c)
    .filter((route) => route.method !== METHOD_NAME_ALL)
    .at(-1)?.path ?? null;

/**
 * Outermost middleware: a request id on every response (a sane client-supplied one is kept), security and cache
 * headers, and one structured log line per request. The log never carries the API key.
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const supplied = c.req.header("X-Request-Id");
  const requestId = supplied && REQUEST_ID_PATTERN.test(supplied) ? supplied : crypto.randomUUID();
  c.set("requestId", requestId);
  await next();
  c.header("X-Request-Id", requestId);
  c.header("X-Content-Type-Options", "nosniff");
  // API answers are per key and change with every write: no shared or browser cache may keep one.
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  console.log(
    JSON.stringify({
      level: "info",
      msg: "request",
      requestId,
      method: c.req.method,
      route: routePattern(c),
      path: c.req.path,
      status: c.res.status,
      durationMs: Date.now() - started,
      projectId: c.get("projectId") ?? null,
    }),
  );
});

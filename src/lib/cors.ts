import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/** CORS only for the origins listed in CORS_ALLOW_ORIGINS; with none listed, no CORS headers at all. */
export const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const origins = (c.env.CORS_ALLOW_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (!origins.length) return next();
  return cors({
    origin: origins,
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-Id", "X-D1-Bookmark"],
    exposeHeaders: ["ETag", "X-Request-Id", "X-D1-Bookmark", "Idempotent-Replayed", "Retry-After"],
    maxAge: 600,
  })(c, next);
});

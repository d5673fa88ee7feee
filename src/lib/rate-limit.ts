import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/** Per-project rate limit (Workers Rate Limiting binding), checked right after the key is verified. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const { success } = await c.env.RATE_LIMITER.limit({ key: c.var.projectId });
  if (!success) {
    const retryAfter = c.env.RATE_LIMIT_PERIOD_SECONDS || "10";
    throw new ApiError(429, `Rate limit exceeded for this project; retry after ${retryAfter} seconds`, undefined, {
      "Retry-After": retryAfter,
    });
  }
  await next();
});

import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/**
 * Per-project rate limit (Workers Rate Limiting binding), checked right after the key is verified. The limiter
 * protects capacity, not data: if it is unavailable the request goes on (logged), rather than failing every
 * request of every project.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  let allowed = true;
  try {
    allowed = (await c.env.RATE_LIMITER.limit({ key: c.var.projectId })).success;
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "rate limiter unavailable; request allowed",
        requestId: c.var.requestId,
        detail: (error as Error)?.message,
      }),
    );
  }
  if (!allowed) {
    const retryAfter = c.env.RATE_LIMIT_PERIOD_SECONDS || "10";
    throw new ApiError(429, `Rate limit exceeded for this project; retry after ${retryAfter} seconds`, undefined, {
      "Retry-After": retryAfter,
    });
  }
  await next();
});

import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { requireApiKey } from "../auth/middleware";
import { useDb } from "../db/client";
import type { AppEnv } from "../env";
import { rateLimit } from "./rate-limit";
import { errorResponse } from "./schemas";
import { validationHook } from "./validation";

export const createRouter = () => new OpenAPIHono<AppEnv>({ strict: true, defaultHook: validationHook });

const commonErrors = {
  400: errorResponse("Invalid request parameters"),
  401: errorResponse("Invalid or missing API key"),
  429: errorResponse("Rate limit exceeded (see Retry-After)"),
  500: errorResponse("Something went wrong"),
} as const;

/** A route behind API-key auth: key, then the project's rate limit, then validation; the handler gets a db. */
export function protectedRoute<
  P extends string,
  R extends Omit<RouteConfig, "path" | "middleware" | "security"> & { path: P },
>(route: R) {
  return createRoute({
    ...route,
    security: [{ bearerAuth: [] }],
    middleware: [requireApiKey, rateLimit, useDb],
    responses: { ...commonErrors, ...route.responses } as typeof commonErrors & R["responses"],
  });
}

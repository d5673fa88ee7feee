import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { requireApiKey } from "../auth/middleware";
import { useDb } from "../db/client";
import type { AppEnv } from "../env";
import { errorResponse } from "./schemas";
import { validationHook } from "./validation";

export const createRouter = () => new OpenAPIHono<AppEnv>({ strict: true, defaultHook: validationHook });

const commonErrors = {
  400: errorResponse("Invalid request parameters"),
  401: errorResponse("Invalid or missing API key"),
  500: errorResponse("Something went wrong"),
} as const;

/** A route behind API-key auth: the key is checked before validation, then the request gets its db. */
export function protectedRoute<
  P extends string,
  R extends Omit<RouteConfig, "path" | "middleware" | "security"> & { path: P },
>(route: R) {
  return createRoute({
    ...route,
    security: [{ bearerAuth: [] }],
    middleware: [requireApiKey, useDb],
    responses: { ...commonErrors, ...route.responses } as typeof commonErrors & R["responses"],
  });
}

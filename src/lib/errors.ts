import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type FieldError = { field: string; message: string };

/** An error whose status and message are safe to show to the client. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const INVALID_PARAMETERS = "Invalid request parameters";
export const INVALID_API_KEY = "Invalid or missing API key";

export const badRequest = (message: string, errors?: FieldError[]) => new ApiError(400, message, errors);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

export const orderNotFound = () => notFound("Order not found");
export const customerNotFound = () => notFound("Customer not found");
export const productNotFound = (id: string) => notFound(`Product with id ${id} not found`);

export function errorBody(message: string, errors?: FieldError[]) {
  return errors?.length ? { message, errors } : { message };
}

// Hono's own exceptions (malformed JSON, media type, body limit) mapped onto the contract's messages.
function fromHttpException(err: HTTPException): ApiError {
  if (err.status === 413) return new ApiError(413, "Request body too large");
  if (err.status === 400 || err.status === 415) return badRequest(INVALID_PARAMETERS);
  if (err.status === 401) return new ApiError(401, INVALID_API_KEY);
  return new ApiError(err.status as ContentfulStatusCode, err.message || "Request failed");
}

/** app.onError: known errors keep their status and message; anything else is logged and becomes a generic 500. */
export function handleError(err: Error, c: Context) {
  const known = err instanceof ApiError ? err : err instanceof HTTPException ? fromHttpException(err) : undefined;
  if (known) {
    for (const [name, value] of Object.entries(known.headers ?? {})) c.header(name, value);
    return c.json(errorBody(known.message, known.errors), known.status);
  }
  const requestId = c.get("requestId");
  // A drizzle query error's own message carries the SQL and its parameters (customer data): log its cause.
  const logged = err?.cause instanceof Error ? err.cause : err;
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      requestId,
      method: c.req.method,
      path: c.req.path,
      error: logged?.name,
      detail: logged?.message,
      stack: logged?.stack,
    }),
  );
  return c.json({ message: "Something went wrong", request_id: requestId }, 500);
}

export function handleNotFound(c: Context) {
  return c.json({ message: "Not found" }, 404);
}

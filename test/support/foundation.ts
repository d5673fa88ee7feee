// Helpers shared by the foundation suites (security, customers, products, errors, openapi, schema).
// Builds on api.ts.
import { type Client, call } from "./api";

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ISO-8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
export const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A strong ETag header value. */
export const ETAG_RE = /^"[^"]+"$/;

export const INVALID_KEY = { message: "Invalid or missing API key" };
export const NOT_FOUND = { message: "Not found" };
export const INVALID_PARAMETERS = "Invalid request parameters";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates an order through the API (POST /crm/orders), so a customer and a product become referenced. */
export async function createOrderVia(api: Client, customerId: string, productId: string, quantity = 1) {
  const res = await api.post("/crm/orders", { customer_id: customerId, items: [{ product_id: productId, quantity }] });
  if (res.status !== 201) throw new Error(`order setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export type Operation = {
  method: string;
  /** The OpenAPI path, e.g. /v1/dev/crm/orders/{orderId}. */
  path: string;
  operation: {
    security?: Record<string, string[]>[];
    responses: Record<string, unknown>;
    parameters?: { name: string; in: string }[];
  };
};

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

export async function openApiDocument(): Promise<any> {
  const res = await call("GET", "/openapi.json");
  if (res.status !== 200) throw new Error(`openapi.json: ${res.status}`);
  return res.body;
}

/** Every method + path the OpenAPI document describes. */
export function operationsOf(doc: any): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

export const isProtected = (op: Operation) => (op.operation.security ?? []).length > 0;

/** /v1/dev/crm/orders/{orderId} -> /v1/dev/crm/orders/:orderId (hono's spelling). */
export const toHonoPath = (path: string) => path.replace(/\{([^}]+)\}/g, ":$1");

/** The document's path with every path parameter replaced by a fresh random UUID. */
export const concretePath = (path: string) => path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());

/** A D1 binding whose every use fails with an error that carries SQL and binding details (which must never leak). */
export function brokenD1(): D1Database {
  const failure = () =>
    new Error(
      'D1_ERROR: no such table: customers: SQLITE_ERROR (env.DB binding "orders-api") while running SELECT "id", "name" FROM "customers" WHERE "project_id" = ?',
    );
  const statement: any = {
    bind: () => statement,
    first: () => Promise.reject(failure()),
    all: () => Promise.reject(failure()),
    run: () => Promise.reject(failure()),
    raw: () => Promise.reject(failure()),
  };
  const database: any = {
    prepare: () => statement,
    batch: () => Promise.reject(failure()),
    exec: () => Promise.reject(failure()),
    dump: () => Promise.reject(failure()),
    withSession: () => ({ ...database, getBookmark: () => null }),
  };
  return database as D1Database;
}

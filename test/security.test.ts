import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../src/auth/keys";
import { type Client, call, createCustomer, createKey, createProduct, newProject, revokeKey } from "./support/api";
import {
  concretePath,
  createOrderVia,
  INVALID_KEY,
  isProtected,
  NOT_FOUND,
  type Operation,
  openApiDocument,
  operationsOf,
} from "./support/foundation";

// The routes come from the OpenAPI document, so a route added later is covered without touching this file.
const doc = await openApiDocument();
const protectedOps = operationsOf(doc).filter(isProtected);
const routeName = (op: Operation) => `${op.method} ${op.path}`;
const withBody = (method: string) => method === "POST" || method === "PUT";

/** A request to `op` (full path, random UUIDs for path params), sending `{}` as the body of POST and PUT. */
function hit(op: Operation, init: { authorization?: string; query?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.authorization !== undefined) headers.Authorization = init.authorization;
  const url = `http://orders.test${concretePath(op.path)}${init.query ?? ""}`;
  return call(op.method, url, { headers, ...(withBody(op.method) ? { body: {} } : {}) });
}

// Keys shared by the suite. The revoked key is revoked before its first use: verified keys are cached
// per isolate for 30 s, so revoking a key that was already used would not be visible within this run.
const valid = await createKey();
const revoked = await createKey();
await revokeKey(revoked.key);
const expired = await createKey(undefined, { expires_at: new Date(Date.now() - 60_000).toISOString() });
const expiredJustNow = await createKey(undefined, { expires_at: new Date(Date.now() - 1).toISOString() });
const garbledExpiry = await createKey(undefined, { expires_at: "not a date" });
const futureExpiry = await createKey(undefined, { expires_at: new Date(Date.now() + 86_400_000).toISOString() });

const badCredentials: [string, () => { authorization?: string; query?: string }][] = [
  ["no Authorization header", () => ({})],
  ["an empty Authorization header", () => ({ authorization: "" })],
  ["Basic x", () => ({ authorization: "Basic x" })],
  ["Bearer without a key", () => ({ authorization: "Bearer" })],
  ["Bearer and a space only", () => ({ authorization: "Bearer " })],
  ["Bearer not-a-key", () => ({ authorization: "Bearer not-a-key" })],
  ["a valid key under the Basic scheme", () => ({ authorization: `Basic ${valid.key}` })],
  ["a valid key without a scheme", () => ({ authorization: valid.key })],
  ["a valid key followed by another token", () => ({ authorization: `Bearer ${valid.key} extra` })],
  ["a valid key with one character more", () => ({ authorization: `Bearer ${valid.key}x` })],
  ["a valid key with its last character dropped", () => ({ authorization: `Bearer ${valid.key.slice(0, -1)}` })],
  ["an unknown well-formed key", () => ({ authorization: `Bearer ${generateApiKey()}` })],
  ["a revoked key", () => ({ authorization: `Bearer ${revoked.key}` })],
  ["an expired key", () => ({ authorization: `Bearer ${expired.key}` })],
  ["a key that expired a millisecond ago", () => ({ authorization: `Bearer ${expiredJustNow.key}` })],
  ["a key whose expiry is unreadable", () => ({ authorization: `Bearer ${garbledExpiry.key}` })],
  ["a valid key in ?api_key=", () => ({ query: `?api_key=${valid.key}` })],
  ["a valid key in ?key=", () => ({ query: `?key=${valid.key}` })],
  ["a valid key in ?access_token=", () => ({ query: `?access_token=${valid.key}` })],
  ["a valid key in ?authorization=", () => ({ query: `?authorization=Bearer%20${valid.key}` })],
];

describe("the route list comes from the OpenAPI document", () => {
  it("covers the customers, products and orders routes", () => {
    const names = protectedOps.map(routeName);
    for (const expected of [
      "GET /v1/dev/crm/customers",
      "POST /v1/dev/crm/customers",
      "GET /v1/dev/crm/customers/{customerId}",
      "PUT /v1/dev/crm/customers/{customerId}",
      "DELETE /v1/dev/crm/customers/{customerId}",
      "GET /v1/dev/products",
      "POST /v1/dev/products",
      "GET /v1/dev/products/{productId}",
      "PUT /v1/dev/products/{productId}",
      "DELETE /v1/dev/products/{productId}",
      "GET /v1/dev/crm/orders",
      "POST /v1/dev/crm/orders",
      "GET /v1/dev/crm/orders/{orderId}",
      "PUT /v1/dev/crm/orders/{orderId}",
      "DELETE /v1/dev/crm/orders/{orderId}",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("documents only the health check and the document itself as public under /v1/dev", () => {
    const publicOps = operationsOf(doc)
      .filter((op) => !isProtected(op))
      .map(routeName);
    expect(publicOps).toEqual(["GET /v1/dev/health"]);
  });
});

describe.each(protectedOps.map((op) => [routeName(op), op] as const))("%s", (_name, op) => {
  it.each(badCredentials)("refuses %s with exactly 401 Invalid or missing API key", async (_case, credentials) => {
    const res = await hit(op, credentials());
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_KEY);
    expect(res.headers.get("WWW-Authenticate")).toBe("Bearer");
  });

  it("lets a valid key through authentication (control for the cases above)", async () => {
    for (const key of [valid.key, futureExpiry.key]) {
      const res = await hit(op, { authorization: `Bearer ${key}` });
      expect(res.status).not.toBe(401);
      expect(res.body).not.toEqual(INVALID_KEY);
    }
  });

  it("accepts the scheme name in any case (RFC 7235)", async () => {
    const res = await hit(op, { authorization: `bearer ${valid.key}` });
    expect(res.status).not.toBe(401);
    expect(res.body).not.toEqual(INVALID_KEY);
  });

  if (withBody(op.method)) {
    it("checks the key before reading the body: malformed JSON without a key is a 401", async () => {
      const res = await call(op.method, `http://orders.test${concretePath(op.path)}`, {
        rawBody: "{not json",
        headers: { "Content-Type": "application/json" },
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(INVALID_KEY);
    });
  }
});

describe("key lifecycle", () => {
  it("a revoked key stops working at once when the per-isolate cache is disabled", async () => {
    const noCache = { ...env, API_KEY_CACHE_SECONDS: "0" } as unknown as Env;
    const { key } = await createKey();
    const before = await call("GET", "/crm/customers", { key, env: noCache });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
    await revokeKey(key);
    const after = await call("GET", "/crm/customers", { key, env: noCache });
    expect(after.status).toBe(401);
    expect(after.body).toEqual(INVALID_KEY);
  });

  it("a KV record without a project is not a key", async () => {
    const { key } = await createKey();
    const { hashApiKey } = await import("../src/auth/keys");
    await env.API_KEYS.put(await hashApiKey(key), JSON.stringify({ name: "no project" }));
    const res = await call("GET", "/crm/customers", { key });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_KEY);
  });

  it("KV holds only the SHA-256 of a key, never the key itself", async () => {
    const { key } = await createKey();
    const listed = await env.API_KEYS.list();
    const names = listed.keys.map((entry) => entry.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
    expect(names).not.toContain(key);
    expect(await env.API_KEYS.get(key)).toBeNull();
  });

  it("responses to key-bearing requests are not cacheable", async () => {
    const res = await call("GET", "/crm/customers", { key: valid.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const refused = await call("GET", "/crm/customers", { key: generateApiKey() });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("project isolation", () => {
  // Project A owns the rows; project B has its own valid key and must not be able to tell they exist.
  async function twoProjects() {
    const a = await newProject();
    const b = await newProject();
    const marker = `iso-${crypto.randomUUID()}`;
    const customer = await createCustomer(a.api, { name: `Customer ${marker}`, company: marker });
    const product = await createProduct(a.api, {
      name: `Product ${marker}`,
      sku: marker,
      images: [{ url: "https://img.example.com/a.png", name: "a" }],
    });
    const order = await createOrderVia(a.api, customer.id, product.id, 2);
    return { a, b, marker, customer, product, order };
  }

  async function snapshot(api: Client, path: string) {
    const res = await api.get(path);
    expect(res.status).toBe(200);
    return { body: res.body, etag: res.headers.get("ETag") };
  }

  it("another project's customer is a 404 identical to a missing one, for GET, PUT and DELETE", async () => {
    const { a, b, customer } = await twoProjects();
    const before = await snapshot(a.api, `/crm/customers/${customer.id}`);
    const missing = crypto.randomUUID();
    const attempts = [
      [() => b.api.get(`/crm/customers/${customer.id}`), () => b.api.get(`/crm/customers/${missing}`)],
      [
        () => b.api.put(`/crm/customers/${customer.id}`, { name: "Taken over" }),
        () => b.api.put(`/crm/customers/${missing}`, { name: "Taken over" }),
      ],
      [() => b.api.delete(`/crm/customers/${customer.id}`), () => b.api.delete(`/crm/customers/${missing}`)],
    ] as const;
    for (const [foreign, absent] of attempts) {
      const res = await foreign();
      const control = await absent();
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: "Customer not found" });
      expect(control.status).toBe(404);
      expect(res.body).toEqual(control.body);
      expect(res.headers.get("ETag")).toBeNull();
    }
    expect(await snapshot(a.api, `/crm/customers/${customer.id}`)).toEqual(before);
  });

  it("another project's product is a 404 identical to a missing one, for GET, PUT and DELETE", async () => {
    const { a, b, product } = await twoProjects();
    const before = await snapshot(a.api, `/products/${product.id}`);
    const missing = crypto.randomUUID();
    const attempts = [
      [(id: string) => b.api.get(`/products/${id}`)],
      [(id: string) => b.api.put(`/products/${id}`, { price: 0 })],
      [(id: string) => b.api.delete(`/products/${id}`)],
    ] as const;
    for (const [attempt] of attempts) {
      const res = await attempt(product.id);
      const control = await attempt(missing);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: `Product with id ${product.id} not found` });
      expect(control.status).toBe(404);
      expect(control.body).toEqual({ message: `Product with id ${missing} not found` });
      expect(res.headers.get("ETag")).toBeNull();
    }
    expect(await snapshot(a.api, `/products/${product.id}`)).toEqual(before);
  });

  it("another project's order is a 404 Order not found, for GET, PUT and DELETE", async () => {
    const { a, b, order } = await twoProjects();
    const before = await snapshot(a.api, `/crm/orders/${order.id}`);
    for (const res of [
      await b.api.get(`/crm/orders/${order.id}`),
      await b.api.put(`/crm/orders/${order.id}`, { notes: "Taken over" }),
      await b.api.delete(`/crm/orders/${order.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: "Order not found" });
    }
    expect(await snapshot(a.api, `/crm/orders/${order.id}`)).toEqual(before);
  });

  it("an If-Match header does not reveal another project's row (404, never 412)", async () => {
    const { a, b, customer, product } = await twoProjects();
    const customerEtag = (await a.api.get(`/crm/customers/${customer.id}`)).headers.get("ETag")!;
    const productEtag = (await a.api.get(`/products/${product.id}`)).headers.get("ETag")!;
    for (const ifMatch of [customerEtag, '"stale"', "*"]) {
      const headers = { "If-Match": ifMatch };
      const put = await b.api.put(`/crm/customers/${customer.id}`, { name: "X" }, { headers });
      expect(put.status).toBe(404);
      expect(put.body).toEqual({ message: "Customer not found" });
      const del = await b.api.delete(`/crm/customers/${customer.id}`, { headers });
      expect(del.status).toBe(404);
      expect(del.body).toEqual({ message: "Customer not found" });
    }
    for (const ifMatch of [productEtag, '"stale"', "*"]) {
      const headers = { "If-Match": ifMatch };
      const put = await b.api.put(`/products/${product.id}`, { name: "X" }, { headers });
      expect(put.status).toBe(404);
      expect(put.body).toEqual({ message: `Product with id ${product.id} not found` });
      const del = await b.api.delete(`/products/${product.id}`, { headers });
      expect(del.status).toBe(404);
      expect(del.body).toEqual({ message: `Product with id ${product.id} not found` });
    }
    expect((await a.api.get(`/crm/customers/${customer.id}`)).status).toBe(200);
    expect((await a.api.get(`/products/${product.id}`)).status).toBe(200);
  });

  it("lists never show another project's rows, with or without a search", async () => {
    const { a, b, marker, customer, product, order } = await twoProjects();
    for (const path of ["/crm/customers", "/products", "/crm/orders"]) {
      for (const query of ["", `?search=${marker}`, "?limit=100"]) {
        const res = await b.api.get(`${path}${query}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          data: [],
          pagination: { total: 0, page: 1, limit: query === "?limit=100" ? 100 : 10 },
        });
      }
    }
    // Control: the owner sees them.
    const own = await a.api.get(`/crm/customers?search=${marker}`);
    expect(own.status).toBe(200);
    expect(own.body.pagination.total).toBe(1);
    expect(own.body.data.map((c: any) => [c.id, c.project_id])).toEqual([[customer.id, a.projectId]]);
    const ownProducts = await a.api.get(`/products?search=${marker}`);
    expect(ownProducts.body.data.map((p: any) => [p.id, p.project_id])).toEqual([[product.id, a.projectId]]);
    const ownOrders = await a.api.get("/crm/orders");
    expect(ownOrders.body.data.map((o: any) => [o.id, o.project_id])).toEqual([[order.id, a.projectId]]);
  });

  it("orders filtered by another project's customer_id or product_id find nothing", async () => {
    const { a, b, customer, product, order } = await twoProjects();
    for (const query of [`customer_id=${customer.id}`, `product_id=${product.id}`]) {
      const res = await b.api.get(`/crm/orders?${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
      // Control: the same filter finds the order in its own project.
      const own = await a.api.get(`/crm/orders?${query}`);
      expect(own.status).toBe(200);
      expect(own.body.data.map((o: any) => o.id)).toEqual([order.id]);
    }
  });

  it("an order cannot reference another project's customer or product", async () => {
    const { b, customer, product } = await twoProjects();
    const ownCustomer = await createCustomer(b.api);
    const ownProduct = await createProduct(b.api);

    const foreignCustomer = await b.api.post("/crm/orders", {
      customer_id: customer.id,
      items: [{ product_id: ownProduct.id, quantity: 1 }],
    });
    expect(foreignCustomer.status).toBe(404);
    expect(foreignCustomer.body).toEqual({ message: "Customer not found" });

    const foreignProduct = await b.api.post("/crm/orders", {
      customer_id: ownCustomer.id,
      items: [{ product_id: product.id, quantity: 1 }],
    });
    expect(foreignProduct.status).toBe(404);
    expect(foreignProduct.body).toEqual({ message: `Product with id ${product.id} not found` });

    const list = await b.api.get("/crm/orders");
    expect(list.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });

  it("a client cannot choose the project of a row it creates", async () => {
    const { a, b } = await twoProjects();
    const res = await b.api.post("/crm/customers", { name: "Intruder", project_id: a.projectId });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("project_id");
    const created = await createCustomer(b.api, { name: "Plain" });
    expect(created.project_id).toBe(b.projectId);
    const list = await a.api.get("/crm/customers?search=Intruder");
    expect(list.body.pagination.total).toBe(0);
  });
});

describe("unknown routes", () => {
  const unknown = [
    ["GET", "/v1/dev/nope"],
    ["GET", "/v1/dev/crm/nope"],
    ["GET", "/v1/dev/crm/customers/0b6f1f9e-5d7a-4c61-9a7e-1c0b1c7f3d21/orders"],
    ["GET", "/v1/dev/crm/customers/"],
    ["GET", "/v1/dev"],
    ["GET", "/v1/prod/crm/orders"],
    ["GET", "/nope"],
    ["GET", "/"],
    ["PATCH", "/v1/dev/crm/customers"],
    ["PATCH", "/v1/dev/products/0b6f1f9e-5d7a-4c61-9a7e-1c0b1c7f3d21"],
    ["POST", "/v1/dev/health"],
    ["DELETE", "/v1/dev/crm/orders"],
  ] as const;

  it.each(unknown)("%s %s is 404 Not found without a key", async (method, path) => {
    const res = await call(method, `http://orders.test${path}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it.each(unknown)("%s %s is 404 Not found with a valid key", async (method, path) => {
    const res = await call(method, `http://orders.test${path}`, { key: valid.key });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it.each(unknown)("%s %s is 404 Not found with a bad key", async (method, path) => {
    const res = await call(method, `http://orders.test${path}`, { key: generateApiKey() });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe("public routes need no key", () => {
  it("GET /v1/dev/health", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("GET /v1/dev/health ignores a bad Authorization header", async () => {
    const res = await call("GET", "/health", { headers: { Authorization: "Bearer not-a-key" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("GET /v1/dev/openapi.json", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe("3.1.0");
    expect(Object.keys(res.body.paths)).toContain("/v1/dev/crm/orders");
  });

  it("GET /docs", async () => {
    const res = await call("GET", "http://orders.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.body).toContain("/v1/dev/openapi.json");
    expect(res.body).toContain("<title>Orders API reference</title>");
  });
});

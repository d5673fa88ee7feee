import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { generateApiKey } from "../src/auth/keys";
import { call, createCustomer, createKey, newProject } from "./support/api";
import { brokenD1, INVALID_KEY, INVALID_PARAMETERS, NOT_FOUND } from "./support/foundation";

// Words that would betray internals: SQL, driver and binding names, stack frames, file paths.
const LEAKS = [
  /SELECT/i,
  /INSERT/i,
  /SQLITE/i,
  /D1_ERROR/i,
  /no such table/i,
  /\bDB\b/,
  /API_KEYS/,
  /binding/i,
  /withSession/,
  /\bstack\b/i,
  /\bat .+:\d+:\d+/,
  /\.ts\b/,
  /node_modules/,
  /TypeError|Error:/,
  /KV/,
];

function expectGeneric500(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(500);
  const requestId = res.headers.get("X-Request-Id");
  expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(res.body).toEqual({ message: "Something went wrong", request_id: requestId });
  const text = JSON.stringify(res.body);
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
  for (const [name, value] of res.headers) {
    if (name.toLowerCase() === "x-request-id") continue;
    for (const leak of LEAKS) expect(`${name}: ${value}`).not.toMatch(leak);
  }
}

/** A KV binding whose reads fail the way a KV outage does. */
function brokenKv(how: "throw" | "reject"): KVNamespace {
  const failure = () => new Error("KV GET failed: 503 Service Unavailable (API_KEYS namespace binding)");
  return {
    get: () => {
      if (how === "throw") throw failure();
      return Promise.reject(failure());
    },
    getWithMetadata: () => Promise.reject(failure()),
    put: () => Promise.reject(failure()),
    delete: () => Promise.reject(failure()),
    list: () => Promise.reject(failure()),
  } as unknown as KVNamespace;
}

describe("500: Something went wrong, nothing more", () => {
  const brokenDbEnv = () => ({ ...env, DB: brokenD1() }) as Env;

  it.each([
    ["GET", "/crm/customers", undefined],
    ["POST", "/crm/customers", { name: "A" }],
    ["GET", `/crm/customers/${crypto.randomUUID()}`, undefined],
    ["PUT", `/crm/customers/${crypto.randomUUID()}`, { name: "A" }],
    ["DELETE", `/crm/customers/${crypto.randomUUID()}`, undefined],
    ["GET", "/products", undefined],
    ["POST", "/products", { name: "A", price: 1, units_in_stock: 1 }],
    ["GET", `/products/${crypto.randomUUID()}`, undefined],
    ["PUT", `/products/${crypto.randomUUID()}`, { price: 2 }],
    ["DELETE", `/products/${crypto.randomUUID()}`, undefined],
    ["GET", "/crm/orders", undefined],
    ["GET", `/crm/orders/${crypto.randomUUID()}`, undefined],
    [
      "POST",
      "/crm/orders",
      { customer_id: crypto.randomUUID(), items: [{ product_id: crypto.randomUUID(), quantity: 1 }] },
    ],
  ] as const)("%s %s with a failing database", async (method, path, body) => {
    const { key } = await newProject();
    const res = await call(method, path, { key, env: brokenDbEnv(), ...(body ? { body } : {}) });
    expectGeneric500(res);
  });

  it("a database binding that throws synchronously is a 500 too", async () => {
    const { key } = await newProject();
    const throwing = {
      withSession: () => {
        throw new Error("DB binding is not configured: env.DB undefined");
      },
      prepare: () => {
        throw new Error("DB binding is not configured: env.DB undefined");
      },
    } as unknown as D1Database;
    const res = await call("GET", "/crm/customers", { key, env: { ...env, DB: throwing } as Env });
    expectGeneric500(res);
  });

  it("keeps a sane client-supplied request id on the 500", async () => {
    const { key } = await newProject();
    const res = await call("GET", "/crm/customers", {
      key,
      env: brokenDbEnv(),
      headers: { "X-Request-Id": "client-trace-42" },
    });
    expectGeneric500(res);
    expect(res.headers.get("X-Request-Id")).toBe("client-trace-42");
    expect(res.body.request_id).toBe("client-trace-42");
  });

  it("a failing database does not change the answer to a bad key (401 comes first)", async () => {
    const res = await call("GET", "/crm/customers", { key: generateApiKey(), env: brokenDbEnv() });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_KEY);
  });

  it("control: the same requests with the real database succeed", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const res = await api.get(`/crm/customers/${customer.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(customer.id);
  });
});

describe("a failing KV is a 500, never a pass and never a 401", () => {
  it.each(["throw", "reject"] as const)("KV get that %ss", async (how) => {
    // A key that exists in the real KV but was never used, so no isolate cache can answer for it.
    const { key } = await createKey();
    const res = await call("GET", "/crm/customers", { key, env: { ...env, API_KEYS: brokenKv(how) } as Env });
    expectGeneric500(res);
  });

  it("on every kind of protected request", async () => {
    for (const [method, path] of [
      ["POST", "/crm/customers"],
      ["GET", `/products/${crypto.randomUUID()}`],
      ["DELETE", `/crm/orders/${crypto.randomUUID()}`],
    ] as const) {
      const { key } = await createKey();
      const res = await call(method, path, {
        key,
        env: { ...env, API_KEYS: brokenKv("reject") } as Env,
        ...(method === "POST" ? { body: { name: "A" } } : {}),
      });
      expectGeneric500(res);
    }
  });

  it("an unreadable (non-JSON) KV record is a 500, not a pass", async () => {
    const { key } = await createKey();
    const { hashApiKey } = await import("../src/auth/keys");
    await env.API_KEYS.put(await hashApiKey(key), "{not json");
    const res = await call("GET", "/crm/customers", { key });
    expectGeneric500(res);
  });

  it("no key at all is still a 401 (KV is not needed to refuse it)", async () => {
    const res = await call("GET", "/crm/customers", { env: { ...env, API_KEYS: brokenKv("throw") } as Env });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_KEY);
  });

  it("public routes do not touch KV", async () => {
    const res = await call("GET", "/health", { env: { ...env, API_KEYS: brokenKv("throw"), DB: brokenD1() } as Env });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("the error envelope", () => {
  it("every error is JSON with a message, and every response carries X-Request-Id", async () => {
    const { key, api } = await newProject();
    const responses = [
      await call("GET", "/crm/customers"), // 401
      await api.get("/crm/customers?limit=0"), // 400
      await api.post("/crm/customers", {}), // 400
      await api.get(`/crm/customers/${crypto.randomUUID()}`), // 404
      await call("GET", "http://orders.test/nowhere", { key }), // 404 route
      await api.post("/crm/customers", { name: "x".repeat(1024 * 1024 + 10) }), // 413
    ];
    expect(responses.map((r) => r.status)).toEqual([401, 400, 400, 404, 404, 413]);
    for (const res of responses) {
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(typeof res.body.message).toBe("string");
      expect(res.body.message.length).toBeGreaterThan(0);
      expect(res.headers.get("X-Request-Id")).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      const text = JSON.stringify(res.body);
      for (const leak of LEAKS) expect(text).not.toMatch(leak);
    }
  });

  it("a bad query is 400 Invalid request parameters with field details", async () => {
    const { api } = await newProject();
    const res = await api.get("/crm/customers?limit=101&page=0");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      message: INVALID_PARAMETERS,
      errors: expect.arrayContaining([
        { field: "limit", message: expect.stringContaining("limit") },
        { field: "page", message: expect.stringContaining("page") },
      ]),
    });
  });

  it("a body problem names the field, and every problem is listed", async () => {
    const { api } = await newProject();
    const res = await api.post("/products", { price: 1.234, units_in_stock: -1 });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("name is required");
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: "name", message: "name is required" },
        { field: "price", message: "price must have at most 2 decimal places" },
        { field: "units_in_stock", message: "units_in_stock must be at least 0" },
      ]),
    );
  });

  it("a streamed body over 1 MB without Content-Length is 413 and creates nothing", async () => {
    const { key, api } = await newProject();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"A","company":"'));
        if (sent >= 2 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const request = new Request("http://orders.test/v1/dev/crm/customers", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: stream,
    });
    expect(request.headers.get("Content-Length")).toBeNull();
    const res = await app.request(request, undefined, env);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).message).toMatch(/too large/i);
    const list = await api.get("/crm/customers");
    expect(list.body.pagination.total).toBe(0);
  });

  it("an unknown route is 404 Not found in the same envelope", async () => {
    const res = await call("GET", "http://orders.test/v1/dev/unknown");
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
  });

  it("replaces an unsafe client-supplied request id with a fresh one", async () => {
    for (const supplied of ["has spaces", "x".repeat(129), "<script>", "a\tb"]) {
      const res = await call("GET", "/health", { headers: { "X-Request-Id": supplied } });
      expect(res.status).toBe(200);
      const id = res.headers.get("X-Request-Id");
      expect(id).not.toBe(supplied);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("every request gets a distinct request id", async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 5; i++) ids.add((await call("GET", "/health")).headers.get("X-Request-Id"));
    expect(ids.size).toBe(5);
  });
});

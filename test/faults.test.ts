import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ApiResponse,
  type Client,
  call,
  createCustomer,
  createKey,
  createProduct,
  newProject,
} from "./support/api";
import {
  appendFailingStatement,
  commitThenFail,
  countAll,
  createOrder,
  type D1Faults,
  faultyD1,
  faultyKv,
  GENERIC_500,
  LEAK_PATTERN,
  listTotal,
  orderBody,
} from "./support/resilience";

let api: Client;
let key: string;
let projectId: string;
let customerId: string;
let productId: string;
let otherProductId: string;
let orderId: string;

beforeAll(async () => {
  ({ api, key, projectId } = await newProject());
  customerId = (await createCustomer(api)).id;
  productId = (await createProduct(api, { name: "Widget", price: 10 })).id;
  otherProductId = (await createProduct(api, { name: "Gizmo", price: 4, images: [{ url: "https://img.test/g.png" }] }))
    .id;
  orderId = (await createOrder(api, customerId, productId)).id;
});

let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  // The 500s below log their cause (with SQL) on purpose: keep them off the test output, but look at them.
  errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The one answer to an unexpected failure: generic, with the request id, nothing from the cause. */
function expectGeneric500(res: ApiResponse) {
  expect(res.status).toBe(500);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.body).toEqual({ message: GENERIC_500, request_id: res.headers.get("X-Request-Id") });
  expect(JSON.stringify(res.body)).not.toMatch(LEAK_PATTERN);
  expect(JSON.stringify(res.body)).not.toMatch(/DB|API_KEYS|binding|KV/);
}

const withDb = (faults: D1Faults): Env => ({ ...env, DB: faultyD1(faults) });

/** One request of every endpoint (reads and writes) of the project. */
const everyEndpoint = (): [string, string, unknown?][] => [
  ["GET", "/crm/orders"],
  ["GET", `/crm/orders/${orderId}`],
  ["POST", "/crm/orders", orderBody(customerId, productId)],
  ["PUT", `/crm/orders/${orderId}`, { notes: "fault" }],
  ["DELETE", `/crm/orders/${orderId}`],
  ["GET", "/crm/customers"],
  ["GET", `/crm/customers/${customerId}`],
  ["POST", "/crm/customers", { name: "Fault" }],
  ["PUT", `/crm/customers/${customerId}`, { name: "Fault" }],
  ["DELETE", `/crm/customers/${customerId}`],
  ["GET", "/products"],
  ["GET", `/products/${productId}`],
  ["POST", "/products", { name: "Fault", price: 1, units_in_stock: 1 }],
  ["PUT", `/products/${productId}`, { name: "Fault" }],
  ["DELETE", `/products/${productId}`],
];

describe("D1 failures answer a generic 500 and change nothing", () => {
  it.each<[string, D1Faults]>([
    ["prepare throws", { prepare: true }],
    ["every statement fails", { statements: true }],
    ["withSession throws", { withSession: true }],
    ["prepare and batch throw", { prepare: true, batch: true }],
  ])("%s: every endpoint answers the generic 500", async (_name, faults) => {
    const counts = await countAll(projectId);
    for (const [method, path, body] of everyEndpoint()) {
      const res = await call(method, path, { key, body, env: withDb(faults) });
      expectGeneric500(res);
    }
    expect(await countAll(projectId)).toEqual(counts);
    // The cause is logged for operators (with the request id), never the key.
    expect(errorLog).toHaveBeenCalled();
    for (const args of errorLog.mock.calls) expect(args.join(" ")).not.toContain(key);
  });

  it("batch rejects: every endpoint that batches answers the generic 500, nothing is written", async () => {
    const counts = await countAll(projectId);
    for (const [method, path, body] of everyEndpoint()) {
      const res = await call(method, path, { key, body, env: withDb({ batch: true }) });
      // Single-statement reads do not batch and still work; everything else fails cleanly.
      if (res.status === 200 && method === "GET") continue;
      expectGeneric500(res);
    }
    expect(await countAll(projectId)).toEqual(counts);
  });

  it("public routes do not need D1", async () => {
    const res = await call("GET", "/health", { env: withDb({ prepare: true, batch: true, withSession: true }) });
    expect(res.status).toBe(200);
  });
});

describe("a failure inside the write batch rolls the whole write back", () => {
  const failing = (when?: RegExp): Env => withDb({ batchWith: appendFailingStatement, when });
  // The batches that write resources (not the Idempotency-Key claim, which must succeed for these tests).
  const WRITE = /^(insert into|update|delete from) "(orders|order_items|customers|products|product_images)"/i;

  it("create order: neither the order, its items nor an idempotency record is written", async () => {
    const counts = await countAll(projectId);
    const totalBefore = await listTotal(api, "/crm/orders");
    const res = await call("POST", "/crm/orders", {
      key,
      env: failing(WRITE),
      body: {
        customer_id: customerId,
        items: [
          { product_id: productId, quantity: 1 },
          { product_id: otherProductId, quantity: 3 },
        ],
      },
      headers: { "Idempotency-Key": "fault-create-order" },
    });
    expectGeneric500(res);
    expect(await listTotal(api, "/crm/orders")).toBe(totalBefore);
    expect(await countAll(projectId)).toEqual(counts);
  });

  it("create product with images, create customer: nothing written", async () => {
    const counts = await countAll(projectId);
    const product = await call("POST", "/products", {
      key,
      env: failing(WRITE),
      body: {
        name: "Half",
        price: 1,
        units_in_stock: 1,
        images: [{ url: "https://img.test/1.png" }, { url: "https://img.test/2.png" }],
      },
    });
    expectGeneric500(product);
    const customer = await call("POST", "/crm/customers", { key, env: failing(WRITE), body: { name: "Half" } });
    expectGeneric500(customer);
    expect(await countAll(projectId)).toEqual(counts);
  });

  it("update order with new items: the order, its items and its ETag stay as they were", async () => {
    const before = await api.get(`/crm/orders/${orderId}`);
    const counts = await countAll(projectId);
    const res = await call("PUT", `/crm/orders/${orderId}`, {
      key,
      env: failing(WRITE),
      body: { notes: "half-written?", items: [{ product_id: otherProductId, quantity: 5 }] },
      headers: { "If-Match": before.headers.get("ETag") as string },
    });
    expectGeneric500(res);
    const after = await api.get(`/crm/orders/${orderId}`);
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
    expect(await countAll(projectId)).toEqual(counts);
  });

  it("update product images, delete order, delete customer: nothing changes", async () => {
    const product = await api.get(`/products/${otherProductId}`);
    const counts = await countAll(projectId);
    expectGeneric500(
      await call("PUT", `/products/${otherProductId}`, {
        key,
        env: failing(WRITE),
        body: { images: [{ url: "https://img.test/new.png" }] },
      }),
    );
    expect((await api.get(`/products/${otherProductId}`)).body).toEqual(product.body);

    const spare = await createCustomer(api, { name: "Spare" });
    const withSpare = await countAll(projectId);
    expectGeneric500(await call("DELETE", `/crm/orders/${orderId}`, { key, env: failing(WRITE) }));
    expectGeneric500(await call("DELETE", `/crm/customers/${spare.id}`, { key, env: failing(WRITE) }));
    expect(await countAll(projectId)).toEqual(withSpare);
    expect(withSpare.customers).toBe(counts.customers + 1);
    expect((await api.get(`/crm/orders/${orderId}`)).status).toBe(200);
  });

  it("a failed create frees its Idempotency-Key: the retry on a healthy database creates exactly one order", async () => {
    const body = orderBody(customerId, productId, { notes: "retry after fault" });
    const headers = { "Idempotency-Key": "fault-then-retry" };
    const before = await listTotal(api, "/crm/orders");
    expectGeneric500(await call("POST", "/crm/orders", { key, env: failing(WRITE), body, headers }));
    const retry = await api.post("/crm/orders", body, { headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    const again = await api.post("/crm/orders", body, { headers });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await listTotal(api, "/crm/orders")).toBe(before + 1);
  });

  it("when the key cannot be freed either (D1 down), the retry is a 409 until the claim is a minute old, then succeeds once", async () => {
    const body = orderBody(customerId, productId, { notes: "outage" });
    const headers = { "Idempotency-Key": "fault-stuck-claim" };
    const before = await listTotal(api, "/crm/orders");
    const outage = withDb({
      batchWith: appendFailingStatement,
      when: WRITE,
      failStatementsMatching: /^delete from "idempotency_keys"/i,
    });
    expectGeneric500(await call("POST", "/crm/orders", { key, env: outage, body, headers }));
    const claim = await env.DB.prepare("SELECT state FROM idempotency_keys WHERE project_id = ? AND key = ?")
      .bind(projectId, headers["Idempotency-Key"])
      .first<{ state: string }>();
    expect(claim).toEqual({ state: "in_flight" });

    const tooSoon = await api.post("/crm/orders", body, { headers });
    expect(tooSoon.status).toBe(409);
    expect(tooSoon.headers.get("Retry-After")).toBe("1");

    await env.DB.prepare("UPDATE idempotency_keys SET created_at = ? WHERE project_id = ? AND key = ?")
      .bind(Date.now() - 61_000, projectId, headers["Idempotency-Key"])
      .run();
    const later = await api.post("/crm/orders", body, { headers });
    expect(later.status).toBe(201);
    expect(later.headers.get("Idempotent-Replayed")).toBeNull();
    expect((await api.post("/crm/orders", body, { headers })).headers.get("Idempotent-Replayed")).toBe("true");
    expect(await listTotal(api, "/crm/orders")).toBe(before + 1);
  });

  it("a create whose answer is lost after commit: the retry with the same key replays, never duplicates", async () => {
    const body = orderBody(customerId, productId, { notes: "lost answer" });
    const headers = { "Idempotency-Key": "commit-then-fail" };
    const before = await listTotal(api, "/crm/orders");
    const lost = await call("POST", "/crm/orders", {
      key,
      env: withDb({ batchWith: commitThenFail, when: /^insert into "orders"/i }),
      body,
      headers,
    });
    expectGeneric500(lost);
    // The write did happen (with its idempotency record, in the same batch).
    expect(await listTotal(api, "/crm/orders")).toBe(before + 1);
    const retry = await api.post("/crm/orders", body, { headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body.data.notes).toBe("lost answer");
    expect(await listTotal(api, "/crm/orders")).toBe(before + 1);
  });
});

describe("KV failures never let a request through", () => {
  it("KV throwing on a key it has not verified yet: generic 500 on every endpoint, never 200 or 401", async () => {
    const counts = await countAll(projectId);
    // Verified keys are cached per isolate, so use a key never seen before: its check must reach KV.
    for (const [method, path, body] of everyEndpoint()) {
      const fresh = await createKey(projectId);
      const res = await call(method, path, {
        key: fresh.key,
        body,
        env: { ...env, API_KEYS: faultyKv({ throws: true }) },
      });
      expectGeneric500(res);
    }
    expect(await countAll(projectId)).toEqual(counts);
  });

  it("KV throwing for an unknown key is still a 500, not a pass", async () => {
    const res = await call("GET", "/crm/orders", {
      key: "oak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      env: { ...env, API_KEYS: faultyKv({ throws: true }) },
    });
    expectGeneric500(res);
  });

  it.each([
    ["a record without project_id", '{"name": "x"}'],
    ["null", "null"],
    ["a string", '"project"'],
    ["an array", "[1, 2]"],
    ["project_id of the wrong type", '{"project_id": 42, "expires_at": null}'],
  ])("KV returning garbage (%s) is a 401, never a pass", async (_name, stored) => {
    const fresh = await createKey(projectId);
    const res = await call("GET", "/crm/orders", {
      key: fresh.key,
      env: { ...env, API_KEYS: faultyKv({ returns: stored }) },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: "Invalid or missing API key" });
  });

  it("missing or malformed Authorization never reaches KV (a KV outage still answers 401 to them)", async () => {
    const broken = { ...env, API_KEYS: faultyKv({ throws: true }) };
    expect((await call("GET", "/crm/orders", { env: broken })).status).toBe(401);
    expect((await call("GET", "/crm/orders", { key: "not-a-key", env: broken })).status).toBe(401);
  });
});

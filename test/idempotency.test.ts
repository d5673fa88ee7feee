import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { type Client, createCustomer, createProduct, newProject } from "./support/api";
import { countRows, listTotal, orderBody } from "./support/resilience";

const HOUR = 60 * 60 * 1000;
const key = () => `key-${crypto.randomUUID()}`;
const withKey = (idempotencyKey: string) => ({ headers: { "Idempotency-Key": idempotencyKey } });

/** Sets the stored record's age (created_at) with raw SQL, as if it had been written `ageMs` ago. */
async function age(projectId: string, idempotencyKey: string, ageMs: number) {
  const result = await env.DB.prepare("UPDATE idempotency_keys SET created_at = ? WHERE project_id = ? AND key = ?")
    .bind(Date.now() - ageMs, projectId, idempotencyKey)
    .run();
  expect(result.meta.changes).toBe(1);
}

async function storedRecord(projectId: string, idempotencyKey: string) {
  return env.DB.prepare("SELECT state, response_status FROM idempotency_keys WHERE project_id = ? AND key = ?")
    .bind(projectId, idempotencyKey)
    .first<{ state: string; response_status: number | null }>();
}

type Resource = {
  name: string;
  path: string;
  body: (api: Client) => Promise<Record<string, unknown>>;
  /** A second valid body, different from `body`'s. */
  otherBody: (api: Client) => Promise<Record<string, unknown>>;
};

/** Each project gets one customer and one product, made without keys, for the order bodies. */
const fixtures = new WeakMap<Client, { customerId: string; productId: string }>();
async function refs(api: Client) {
  let found = fixtures.get(api);
  if (!found) {
    const [customer, product] = [await createCustomer(api), await createProduct(api)];
    found = { customerId: customer.id, productId: product.id };
    fixtures.set(api, found);
  }
  return found;
}

const resources: Resource[] = [
  {
    name: "orders",
    path: "/crm/orders",
    body: async (api) => {
      const { customerId, productId } = await refs(api);
      return orderBody(customerId, productId);
    },
    otherBody: async (api) => {
      const { customerId, productId } = await refs(api);
      return orderBody(customerId, productId, { notes: "a different note" });
    },
  },
  {
    name: "customers",
    path: "/crm/customers",
    body: async () => ({ name: "Grace Hopper", email: "grace@example.com" }),
    otherBody: async () => ({ name: "Grace Hopper", email: "grace.h@example.com" }),
  },
  {
    name: "products",
    path: "/products",
    body: async () => ({
      name: "Gadget",
      price: 19.99,
      units_in_stock: 3,
      images: [{ url: "https://img.test/g.png" }],
    }),
    otherBody: async () => ({ name: "Gadget", price: 21, units_in_stock: 3 }),
  },
];

describe.each(resources)("Idempotency-Key on POST $path", (resource) => {
  let api: Client;
  let projectId: string;
  let baseline: number;

  beforeAll(async () => {
    ({ api, projectId } = await newProject());
    await refs(api);
  });

  const total = () => listTotal(api, resource.path);

  it("a replay answers the same status and body with Idempotent-Replayed: true and creates nothing", async () => {
    baseline = await total();
    const idempotencyKey = key();
    const body = await resource.body(api);
    const first = await api.post(resource.path, body, withKey(idempotencyKey));
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await total()).toBe(baseline + 1);

    for (let i = 0; i < 3; i++) {
      const replay = await api.post(resource.path, body, withKey(idempotencyKey));
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
      expect(replay.headers.get("Content-Type")).toMatch(/^application\/json/);
      // A replay is still a response of this service: request id and security headers are there.
      expect(replay.headers.get("X-Request-Id")).toBeTruthy();
      expect(replay.headers.get("Cache-Control")).toBe("no-store");
    }
    expect(await total()).toBe(baseline + 1);
    expect(await storedRecord(projectId, idempotencyKey)).toEqual({ state: "done", response_status: 201 });
    // The created resource is the one the replay names.
    const fetched = await api.get(`${resource.path}/${first.body.data.id}`);
    expect(fetched.status).toBe(200);
  });

  it("the same body with its fields in another order is the same request (replayed)", async () => {
    const idempotencyKey = key();
    const body = await resource.body(api);
    const first = await api.post(resource.path, body, withKey(idempotencyKey));
    expect(first.status).toBe(201);
    const before = await total();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(body));
    const replay = await api.post(resource.path, reordered, withKey(idempotencyKey));
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(await total()).toBe(before);
  });

  it("the same key with a different body is a 422 and creates nothing", async () => {
    const idempotencyKey = key();
    const first = await api.post(resource.path, await resource.body(api), withKey(idempotencyKey));
    expect(first.status).toBe(201);
    const before = await total();
    const other = await api.post(resource.path, await resource.otherBody(api), withKey(idempotencyKey));
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ message: expect.stringMatching(/Idempotency-Key/) });
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await total()).toBe(before);
    // The original stays replayable.
    const replay = await api.post(resource.path, await resource.body(api), withKey(idempotencyKey));
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
  });

  it("without the header, every POST creates (documented behaviour unchanged)", async () => {
    const before = await total();
    const body = await resource.body(api);
    expect((await api.post(resource.path, body)).status).toBe(201);
    expect((await api.post(resource.path, body)).status).toBe(201);
    expect(await total()).toBe(before + 2);
  });

  it("N parallel identical requests with one key create exactly one row: one 201, the rest 409 or replays", async () => {
    const before = await total();
    const idempotencyKey = key();
    const body = await resource.body(api);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => api.post(resource.path, body, withKey(idempotencyKey))),
    );
    const fresh = responses.filter((r) => r.status === 201 && r.headers.get("Idempotent-Replayed") === null);
    const replays = responses.filter((r) => r.status === 201 && r.headers.get("Idempotent-Replayed") === "true");
    const inFlight = responses.filter((r) => r.status === 409);
    expect(fresh).toHaveLength(1);
    expect(replays.length + inFlight.length).toBe(responses.length - 1);
    for (const replay of replays) expect(replay.body).toEqual(fresh[0]?.body);
    for (const conflict of inFlight) {
      expect(conflict.body).toEqual({ message: expect.stringMatching(/in progress/) });
      expect(conflict.headers.get("Retry-After")).toBe("1");
    }
    expect(await total()).toBe(before + 1);
    // Once the first has finished, the key replays.
    const later = await api.post(resource.path, body, withKey(idempotencyKey));
    expect(later.headers.get("Idempotent-Replayed")).toBe("true");
    expect(later.body).toEqual(fresh[0]?.body);
  });
});

describe("Idempotency-Key: scope, failures, format and lifetime", () => {
  let api: Client;
  let projectId: string;
  let customerId: string;
  let productId: string;

  beforeAll(async () => {
    ({ api, projectId } = await newProject());
    ({ customerId, productId } = await refs(api));
  });

  it("the same key on another path is a 422 and creates nothing there", async () => {
    const idempotencyKey = key();
    expect((await api.post("/crm/customers", { name: "Once" }, withKey(idempotencyKey))).status).toBe(201);
    const productsBefore = await listTotal(api, "/products");
    const onProducts = await api.post(
      "/products",
      { name: "Once", price: 1, units_in_stock: 1 },
      withKey(idempotencyKey),
    );
    expect(onProducts.status).toBe(422);
    expect(onProducts.body).toEqual({ message: expect.stringMatching(/Idempotency-Key/) });
    expect(await listTotal(api, "/products")).toBe(productsBefore);
    const onOrders = await api.post("/crm/orders", orderBody(customerId, productId), withKey(idempotencyKey));
    expect(onOrders.status).toBe(422);
  });

  it("keys are scoped per project: the same key and body in two projects create two rows", async () => {
    const other = await newProject();
    const idempotencyKey = key();
    const body = { name: "Shared Key Ltd", company: "Shared" };
    const a = await api.post("/crm/customers", body, withKey(idempotencyKey));
    const b = await other.api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("Idempotent-Replayed")).toBeNull();
    expect(b.body.data.id).not.toBe(a.body.data.id);
    expect(b.body.data.project_id).toBe(other.projectId);
    expect(await listTotal(other.api, "/crm/customers")).toBe(1);
    expect(await countRows("idempotency_keys", other.projectId)).toBe(1);
    // Each project replays its own answer.
    const replayB = await other.api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(replayB.body).toEqual(b.body);
    const replayA = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(replayA.body).toEqual(a.body);
  });

  it("a failed request (404) stores nothing and frees its key: a corrected retry with the same key succeeds", async () => {
    const idempotencyKey = key();
    const before = await listTotal(api, "/crm/orders");
    const unknownCustomer = orderBody(crypto.randomUUID(), productId);
    const failed = await api.post("/crm/orders", unknownCustomer, withKey(idempotencyKey));
    expect(failed.status).toBe(404);
    expect(failed.body).toEqual({ message: "Customer not found" });
    expect(await storedRecord(projectId, idempotencyKey)).toBeNull();
    // Repeating the failing request runs it again (a failure is never replayed)...
    const again = await api.post("/crm/orders", unknownCustomer, withKey(idempotencyKey));
    expect(again.status).toBe(404);
    expect(again.headers.get("Idempotent-Replayed")).toBeNull();
    // ...and the corrected request (a different body) may use the freed key.
    const corrected = await api.post("/crm/orders", orderBody(customerId, productId), withKey(idempotencyKey));
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await listTotal(api, "/crm/orders")).toBe(before + 1);
    const replay = await api.post("/crm/orders", orderBody(customerId, productId), withKey(idempotencyKey));
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body).toEqual(corrected.body);
  });

  it("a request refused by validation (400) never claims its key", async () => {
    const idempotencyKey = key();
    const bad = await api.post("/crm/customers", { name: "" }, withKey(idempotencyKey));
    expect(bad.status).toBe(400);
    expect(await storedRecord(projectId, idempotencyKey)).toBeNull();
    expect((await api.post("/crm/customers", { name: "Fixed" }, withKey(idempotencyKey))).status).toBe(201);
  });

  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a space inside", "abc def"],
    ["non-ASCII (é)", "clé-1"],
    ["a tab inside", "abc\tdef"],
  ])("a malformed key (%s) is a 400 and creates nothing", async (_name, malformed) => {
    const before = await listTotal(api, "/crm/customers");
    const res = await api.post("/crm/customers", { name: "Malformed Key" }, withKey(malformed));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.stringMatching(/Idempotency-Key/) });
    expect(await listTotal(api, "/crm/customers")).toBe(before);
  });

  it("a 255-character key and one of every visible ASCII character are accepted", async () => {
    const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    for (const accepted of ["k".repeat(255), visible]) {
      const first = await api.post("/crm/customers", { name: "Long Key" }, withKey(accepted));
      expect(first.status).toBe(201);
      const replay = await api.post("/crm/customers", { name: "Long Key" }, withKey(accepted));
      expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    }
  });

  it("a record 23 h old is still replayed; one older than 24 h is not (the request runs again)", async () => {
    const idempotencyKey = key();
    const body = { name: "Yesterday" };
    const first = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(first.status).toBe(201);

    await age(projectId, idempotencyKey, 23 * HOUR);
    const withinWindow = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(withinWindow.headers.get("Idempotent-Replayed")).toBe("true");

    await age(projectId, idempotencyKey, 24 * HOUR + 60_000);
    const before = await listTotal(api, "/crm/customers");
    const afterWindow = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(afterWindow.status).toBe(201);
    expect(afterWindow.headers.get("Idempotent-Replayed")).toBeNull();
    expect(afterWindow.body.data.id).not.toBe(first.body.data.id);
    expect(await listTotal(api, "/crm/customers")).toBe(before + 1);
    // The key now belongs to the new request, and a different body after expiry is not a conflict either.
    await age(projectId, idempotencyKey, 25 * HOUR);
    const differentBody = await api.post("/crm/customers", { name: "Today" }, withKey(idempotencyKey));
    expect(differentBody.status).toBe(201);
    expect(differentBody.body.data.name).toBe("Today");
  });

  it("a claim still in flight is a 409; one abandoned for over a minute is taken over", async () => {
    const idempotencyKey = key();
    const body = { name: "In Flight" };
    const first = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(first.status).toBe(201);
    // Turn the record back into a claim of a request that has not finished (e.g. still running, or died).
    await env.DB.prepare(
      "UPDATE idempotency_keys SET state = 'in_flight', response_status = NULL, response_body = NULL, created_at = ? WHERE project_id = ? AND key = ?",
    )
      .bind(Date.now(), projectId, idempotencyKey)
      .run();
    const busy = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(busy.status).toBe(409);
    expect(busy.headers.get("Retry-After")).toBe("1");
    expect(busy.body).toEqual({ message: expect.any(String) });

    await age(projectId, idempotencyKey, 61_000);
    const before = await listTotal(api, "/crm/customers");
    const takeover = await api.post("/crm/customers", body, withKey(idempotencyKey));
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await listTotal(api, "/crm/customers")).toBe(before + 1);
  });

  it("the scheduled handler prunes records older than 24 h and keeps the rest", async () => {
    const { api: pruneApi, projectId: pruneProject } = await newProject();
    const keys = [key(), key(), key()];
    for (const [i, k] of keys.entries()) {
      expect((await pruneApi.post("/crm/customers", { name: `Prune ${i}` }, withKey(k))).status).toBe(201);
    }
    await age(pruneProject, keys[0] as string, 24 * HOUR + 60_000);
    await age(pruneProject, keys[1] as string, 30 * 24 * HOUR);
    await age(pruneProject, keys[2] as string, 23 * HOUR);
    expect(await countRows("idempotency_keys", pruneProject)).toBe(3);

    const ctx = createExecutionContext();
    const handler: ExportedHandler<Env> = worker;
    await handler.scheduled?.(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await countRows("idempotency_keys", pruneProject)).toBe(1);
    expect(await storedRecord(pruneProject, keys[2] as string)).toEqual({ state: "done", response_status: 201 });
    // Pruning forgets keys, never the resources they created.
    expect(await countRows("customers", pruneProject)).toBe(3);
    // A pruned key can be used again.
    const reused = await pruneApi.post("/crm/customers", { name: "Prune 0" }, withKey(keys[0] as string));
    expect(reused.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await countRows("customers", pruneProject)).toBe(4);
  });
});

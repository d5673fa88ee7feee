import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { call, createKey, newProject } from "./support/api";
import { atStartOfWindow, countRows } from "./support/resilience";

// The app under a test-only Rate Limiting binding of 3 requests per 10 s (vitest.config.ts), standing in for
// the configured RATE_LIMITER (wrangler.toml [[ratelimits]]). Windows are fixed 10 s buckets: each test starts
// with enough of its window left to finish inside it.
const limited: Env = { ...env, RATE_LIMITER: env.TEST_RATE_LIMITER };
const LIMIT = 3;

const get = (key: string, path = "/crm/customers", environment: Env = limited) =>
  call("GET", path, { key, env: environment });

describe("per-project rate limit", () => {
  beforeEach(async () => {
    await atStartOfWindow(10, 4_000);
  });

  it("over the limit: 429 {message} with Retry-After, request id and no-store", async () => {
    const { key } = await createKey();
    for (let i = 0; i < LIMIT; i++) expect((await get(key)).status).toBe(200);
    const over = await get(key);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ message: expect.stringMatching(/rate limit/i) });
    expect(over.headers.get("Retry-After")).toBe(env.RATE_LIMIT_PERIOD_SECONDS);
    expect(Number(over.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(over.headers.get("X-Request-Id")).toBeTruthy();
    expect(over.headers.get("Cache-Control")).toBe("no-store");
    expect(over.headers.get("Content-Type")).toMatch(/^application\/json/);
    // Every route of the project is limited, not just the one that used up the budget.
    expect((await get(key, "/products")).status).toBe(429);
    expect((await get(key, `/crm/orders/${crypto.randomUUID()}`)).status).toBe(429);
  });

  it("Retry-After follows the configured period", async () => {
    const { key } = await createKey();
    const sixty: Env = { ...limited, RATE_LIMIT_PERIOD_SECONDS: "60" };
    for (let i = 0; i < LIMIT; i++) await get(key, "/crm/customers", sixty);
    const over = await get(key, "/crm/customers", sixty);
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toBe("60");
  });

  it("another project is unaffected by a project over its limit", async () => {
    const a = await createKey();
    const b = await createKey();
    for (let i = 0; i < LIMIT; i++) await get(a.key);
    expect((await get(a.key)).status).toBe(429);
    for (let i = 0; i < LIMIT; i++) expect((await get(b.key)).status).toBe(200);
    expect((await get(b.key)).status).toBe(429);
  });

  it("the limit is per project, not per key: two keys of one project share it", async () => {
    const first = await createKey();
    const second = await createKey(first.projectId);
    await get(first.key);
    await get(second.key);
    await get(first.key);
    expect((await get(second.key)).status).toBe(429);
    expect((await get(first.key)).status).toBe(429);
  });

  it("a limited write changes nothing", async () => {
    const { key, projectId } = await createKey();
    for (let i = 0; i < LIMIT; i++) await get(key);
    const res = await call("POST", "/crm/customers", {
      key,
      env: limited,
      body: { name: "Too Fast" },
      headers: { "Idempotency-Key": "limited-write" },
    });
    expect(res.status).toBe(429);
    expect(await countRows("customers", projectId)).toBe(0);
    expect(await countRows("idempotency_keys", projectId)).toBe(0);
  });

  it("requests without a valid key are refused with 401 before the limiter (they use no project's budget)", async () => {
    const { key } = await createKey();
    for (let i = 0; i < 10; i++) {
      const res = await call("GET", "/crm/customers", { key: "oak_not-a-real-key", env: limited });
      expect(res.status).toBe(401);
    }
    expect((await get(key)).status).toBe(200);
  });

  it("public routes are not limited", async () => {
    for (let i = 0; i < 10; i++) expect((await call("GET", "/health", { env: limited })).status).toBe(200);
  });

  it("the configured default limit is generous: a burst of 200 requests of one project all pass", async () => {
    const { api } = await newProject();
    const responses = await Promise.all(Array.from({ length: 200 }, () => api.get("/crm/customers?limit=1")));
    expect(responses.filter((r) => r.status !== 200)).toEqual([]);
  });

  it("an unavailable limiter lets requests through (logged) instead of failing every project", async () => {
    const { key } = await createKey();
    const broken: Env = {
      ...env,
      RATE_LIMITER: {
        limit: async () => {
          throw new Error("rate limiter down");
        },
      } as unknown as RateLimit,
    };
    const res = await get(key, "/crm/customers", broken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });
});

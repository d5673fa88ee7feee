import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { BASE, createKey } from "./support/api";

// GET /v1/dev/health: a liveness probe for load balancers and uptime checks. No key, no data, no storage.

const HEALTH = `${BASE}/health`;

/** Bindings that fail the test if the health check touches D1 or KV. */
function untouchableEnv(): Env {
  const trap = (name: string) =>
    new Proxy(
      {},
      {
        get() {
          throw new Error(`the health check used ${name}`);
        },
      },
    );
  return { ...env, DB: trap("DB") as D1Database, API_KEYS: trap("API_KEYS") as KVNamespace };
}

describe("GET /v1/dev/health", () => {
  it('is 200 with exactly {"status":"ok"} and no key', async () => {
    const res = await app.request(HEALTH, {}, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await res.text()).toBe('{"status":"ok"}');
  });

  it("is never cached and never sniffed", async () => {
    const res = await app.request(HEALTH, {}, env);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("reveals nothing else: only the expected headers, no bookmark, no cookie", async () => {
    const res = await app.request(HEALTH, {}, env);
    const names = [...res.headers.keys()].sort();
    expect(names).toEqual(["cache-control", "content-type", "x-content-type-options", "x-request-id"]);
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("touches neither D1 nor KV", async () => {
    const res = await app.request(HEALTH, {}, untouchableEnv());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"status":"ok"}');
  });

  it("answers the same with a valid key, a bad key or a bookmark", async () => {
    const { key } = await createKey();
    const variants: Record<string, string>[] = [
      { Authorization: `Bearer ${key}` },
      { Authorization: "Bearer oak_not-a-real-key" },
      { "X-D1-Bookmark": "not-a-bookmark" },
    ];
    for (const headers of variants) {
      const res = await app.request(HEALTH, { headers }, env);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"status":"ok"}');
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("X-D1-Bookmark")).toBeNull();
    }
  });

  it("keeps a sane X-Request-Id from the caller", async () => {
    const res = await app.request(HEALTH, { headers: { "X-Request-Id": "probe-42" } }, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toBe("probe-42");
  });
});

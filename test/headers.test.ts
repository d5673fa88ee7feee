import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ApiResponse, type Client, call, createCustomer, newProject } from "./support/api";
import { faultyD1, GENERIC_500 } from "./support/resilience";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let key: string;
let api: Client;
let projectId: string;
let customerId: string;

beforeAll(async () => {
  ({ key, api, projectId } = await newProject());
  customerId = (await createCustomer(api)).id;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A D1 that fails on every use: the app answers 500. */
const brokenEnv = (): Env => ({ ...env, DB: faultyD1({ prepare: true, batch: true }) });

/** One request of each kind the service answers: success, client errors, public, unknown route, server error. */
const samples = (): [string, () => ReturnType<typeof call>][] => [
  ["200 list", () => api.get("/crm/customers")],
  ["200 one", () => api.get(`/crm/customers/${customerId}`)],
  ["201 create", () => api.post("/crm/customers", { name: "Header Check" })],
  ["400 bad query", () => api.get("/crm/orders?limit=0")],
  ["400 bad body", () => api.post("/crm/customers", { name: "" })],
  ["401 no key", () => call("GET", "/crm/customers")],
  ["404 missing", () => api.get(`/crm/orders/${crypto.randomUUID()}`)],
  ["404 unknown route", () => call("GET", "/nope")],
  ["404 outside the base path", () => call("GET", "http://orders.test/elsewhere")],
  ["200 health", () => call("GET", "/health")],
  ["500 broken D1", () => call("GET", "/crm/customers", { key, env: brokenEnv() })],
];

describe("X-Request-Id", () => {
  it.each(samples())("every response carries one (%s)", async (_name, send) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await send();
    expect(res.headers.get("X-Request-Id")).toMatch(UUID);
  });

  it("every response gets a different generated id", async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 20; i++) ids.add((await api.get("/crm/customers")).headers.get("X-Request-Id"));
    expect(ids.size).toBe(20);
  });

  it.each(["abc-123", "req_01HZX3.trace:span-9", "3f1c2a4e-8b7d-4c1e-9a2b-5d6e7f8a9b0c", "x".repeat(128)])(
    "a sane client id is kept (%s)",
    async (supplied) => {
      const res = await api.get("/crm/customers", { headers: { "X-Request-Id": supplied } });
      expect(res.headers.get("X-Request-Id")).toBe(supplied);
      // Also on errors and on public routes.
      const unauthenticated = await call("GET", "/crm/customers", { headers: { "X-Request-Id": supplied } });
      expect(unauthenticated.headers.get("X-Request-Id")).toBe(supplied);
    },
  );

  it.each([
    ["too long (129 characters)", "x".repeat(129)],
    ["far too long", "y".repeat(5000)],
    ["a space inside", "abc def"],
    ["markup", "<script>alert(1)</script>"],
    ["a slash", "a/b"],
    ["quotes", '"quoted"'],
    ["a semicolon and equals sign", "id=1;drop"],
    ["percent-encoding", "abc%0d%0aSet-Cookie"],
    ["non-ASCII", "idé"],
    ["empty", ""],
  ])("an insane client id (%s) is replaced by a generated UUID", async (_name, supplied) => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const res = await api.get("/crm/customers", { headers: { "X-Request-Id": supplied } });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Request-Id")).toMatch(UUID);
  });

  it("5xx bodies carry the request id, and nothing else but the generic message", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const generated = await call("GET", "/crm/customers", { key, env: brokenEnv() });
    expect(generated.status).toBe(500);
    expect(generated.body).toEqual({ message: GENERIC_500, request_id: generated.headers.get("X-Request-Id") });

    const supplied = await call("POST", "/crm/customers", {
      key,
      env: brokenEnv(),
      body: { name: "x" },
      headers: { "X-Request-Id": "client-trace-42" },
    });
    expect(supplied.status).toBe(500);
    expect(supplied.body).toEqual({ message: GENERIC_500, request_id: "client-trace-42" });
  });
});

describe("security headers", () => {
  it.each(samples())("X-Content-Type-Options: nosniff on every response (%s)", async (_name, send) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await send();
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it.each(samples().filter(([name]) => !/no key|health|unknown route|outside/.test(name)))(
    "Cache-Control: no-store on an authenticated response (%s)",
    async (_name, send) => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      const res = await send();
      expect(res.headers.get("Cache-Control")).toBe("no-store");
    },
  );

  it("Cache-Control: no-store also when a key was sent but refused (a 401 for a bad key must not be cached)", async () => {
    const res = await call("GET", "/crm/customers", { key: "oak_unknown" });
    expect(res.status).toBe(401);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("error bodies are JSON", async () => {
    for (const res of [
      await call("GET", "/nope"),
      await call("GET", "/crm/customers"),
      await api.get("/crm/orders?page=x"),
    ]) {
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(res.body).toEqual(expect.objectContaining({ message: expect.any(String) }));
    }
  });
});

describe("CORS", () => {
  const ALLOWED = "https://app.example.com";
  const ALSO_ALLOWED = "https://admin.example.com";
  const FOREIGN = "https://evil.example.net";
  const withCors: Env = { ...env, CORS_ALLOW_ORIGINS: ` ${ALLOWED}, ${ALSO_ALLOWED} ` };

  const preflight = (origin: string, environment: Env = withCors) =>
    call("OPTIONS", "/crm/orders", {
      env: environment,
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
      },
    });

  const corsHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith("access-control-"));

  it("is off by default: no CORS headers on any response, even to a browser origin", async () => {
    expect(env.CORS_ALLOW_ORIGINS).toBe("");
    const res = await api.get("/crm/customers", { headers: { Origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual([]);
    const pre = await preflight(ALLOWED, env);
    expect(corsHeaders(pre.headers)).toEqual([]);
    expect(pre.status).toBeGreaterThanOrEqual(400);
  });

  it("an allowed origin gets Access-Control-Allow-Origin (its own origin, never *) and the exposed headers", async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const res = await api.get("/crm/customers", { env: withCors, headers: { Origin: origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
      expect(res.headers.get("Vary")).toMatch(/Origin/i);
      const exposed = (res.headers.get("Access-Control-Expose-Headers") ?? "").toLowerCase();
      for (const name of ["etag", "x-request-id", "idempotent-replayed", "retry-after"])
        expect(exposed).toContain(name);
    }
  });

  it("an allowed origin's preflight succeeds without a key and allows the API's methods and headers", async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    const methods = (res.headers.get("Access-Control-Allow-Methods") ?? "").toUpperCase();
    for (const method of ["GET", "POST", "PUT", "DELETE"]) expect(methods).toContain(method);
    const allowed = (res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
    for (const name of ["authorization", "content-type", "idempotency-key", "if-match"])
      expect(allowed).toContain(name);
    expect(res.headers.get("X-Request-Id")).toMatch(UUID);
  });

  it("a foreign origin gets no Access-Control-Allow-Origin, on requests or preflights", async () => {
    const res = await api.get("/crm/customers", { env: withCors, headers: { Origin: FOREIGN } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const pre = await preflight(FOREIGN);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBeNull();
    // Look-alikes of an allowed origin are foreign too.
    for (const origin of [`${ALLOWED}.evil.net`, "http://app.example.com", `${ALLOWED}:8443`, "null"]) {
      const lookalike = await api.get("/crm/customers", { env: withCors, headers: { Origin: origin } });
      expect(lookalike.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("CORS never replaces authentication: an allowed origin without a key is still a 401", async () => {
    const res = await call("GET", "/crm/customers", { env: withCors, headers: { Origin: ALLOWED } });
    expect(res.status).toBe(401);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });
});

describe("one structured log line per request", () => {
  type LogLine = Record<string, unknown>;

  /** Runs `send` while capturing console output; returns the parsed request lines and all text logged. */
  async function captured(send: () => Promise<unknown>) {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    await send();
    const text = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((args) => args.map(String).join(" "));
    const logged = text(log);
    const all = [...logged, ...text(error), ...text(warn), ...text(info), ...text(debug)];
    const logCalls = [...log.mock.calls];
    for (const spy of [log, error, warn, info, debug]) spy.mockRestore();
    const requests = logged
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          return undefined;
        }
      })
      .filter((line): line is LogLine => line?.msg === "request");
    return { requests, all, logCalls };
  }

  it("a successful request logs exactly one JSON line with method, route, status, duration, project and request id", async () => {
    let res: ApiResponse | undefined;
    const { requests, logCalls } = await captured(async () => {
      res = await api.get(`/crm/customers/${customerId}`, { headers: { "X-Request-Id": "log-check-1" } });
    });
    expect(res?.status).toBe(200);
    expect(logCalls).toHaveLength(1);
    expect(requests).toHaveLength(1);
    const line = requests[0] as LogLine;
    expect(line).toMatchObject({
      level: "info",
      method: "GET",
      route: "/v1/dev/crm/customers/:customerId",
      status: 200,
      projectId,
      requestId: "log-check-1",
    });
    expect(typeof line.durationMs).toBe("number");
    expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    // The route is the pattern, not the concrete path with its id.
    expect(JSON.stringify(line.route)).not.toContain(customerId);
  });

  it.each([
    ["POST", "/crm/customers", 201, { name: "Logged" }],
    ["GET", "/crm/orders?limit=0", 400, undefined],
    ["PUT", `/crm/orders/${crypto.randomUUID()}`, 404, { notes: "x" }],
    ["DELETE", "/products/not-a-uuid", 404, undefined],
  ])("%s %s logs its status (%i) and project", async (method, path, status, body) => {
    const { requests } = await captured(() => call(method, path, { key, body }));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method, status, projectId, requestId: expect.any(String) });
    expect(typeof requests[0]?.route).toBe("string");
  });

  it("a request refused before auth logs projectId null; an unknown route logs too", async () => {
    const unauth = await captured(() => call("GET", "/crm/orders"));
    expect(unauth.requests).toHaveLength(1);
    expect(unauth.requests[0]).toMatchObject({ method: "GET", status: 401, projectId: null });
    // An unknown route matched no route: its line says so (route null) rather than naming a middleware pattern.
    for (const path of ["/nope", "http://orders.test/elsewhere"]) {
      const unknown = await captured(() => call("GET", path, { key }));
      expect(unknown.requests).toHaveLength(1);
      expect(unknown.requests[0]).toMatchObject({ method: "GET", status: 404, route: null });
    }
  });

  it("a failing request logs its line with status 500 and the same request id as its body", async () => {
    let res: ApiResponse | undefined;
    const { requests } = await captured(async () => {
      res = await call("GET", "/crm/customers", { key, env: brokenEnv() });
    });
    expect(res?.status).toBe(500);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 500, requestId: res?.body.request_id, projectId });
  });

  it("the API key appears in no log output, whatever the request and however it fails", async () => {
    const { key: secret } = await newProject();
    const almost = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const { all, requests } = await captured(async () => {
      await call("GET", "/crm/customers", { key: secret });
      await call("POST", "/crm/customers", { key: secret, body: { name: secret } });
      await call("GET", `/crm/orders?search=${encodeURIComponent(secret)}`, { key: secret });
      await call("GET", "/crm/customers", { key: almost });
      await call("GET", "/crm/customers", { key: secret, env: brokenEnv() });
      await call("POST", "/crm/customers", { key: secret, env: brokenEnv(), body: { name: "x" } });
      await call("GET", `/crm/customers?api_key=${secret}`);
      await call("GET", "/crm/customers", { headers: { Authorization: `Basic ${secret}` } });
    });
    expect(requests).toHaveLength(8);
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const line of all) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(almost);
      expect(line).not.toContain(secret.slice(4));
    }
  });
});

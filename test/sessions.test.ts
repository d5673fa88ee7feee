import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BOOKMARK_HEADER } from "../src/db/client";
import { call, createCustomer, createProduct, newProject } from "./support/api";

// X-D1-Bookmark: reads run on a D1 session (Sessions API) that starts from the client's bookmark, or
// unconstrained without one; every response to a keyed request carries the session's newest bookmark.

const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]{8}){2,3}(-[0-9a-f]{1,64})?$/i;

function bookmarkOf(res: { headers: Headers }) {
  const bookmark = res.headers.get(BOOKMARK_HEADER);
  expect(bookmark).toMatch(BOOKMARK);
  return bookmark as string;
}

async function newOrder() {
  const { key, api } = await newProject();
  const customer = await createCustomer(api);
  const product = await createProduct(api, { price: 12.5 });
  const created = await api.post("/crm/orders", {
    customer_id: customer.id,
    items: [
      { product_id: product.id, quantity: 2 },
      { product_id: product.id, quantity: 1 },
    ],
    notes: "read my write",
  });
  expect(created.status).toBe(201);
  return { key, api, customer, product, created };
}

/** The real D1 binding, recording what each request passes to withSession and what its session returns last. */
function recordingDb() {
  const sessions: { constraint: string | undefined; session: D1DatabaseSession }[] = [];
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "withSession") {
        return (constraint?: string) => {
          const session = target.withSession(constraint);
          sessions.push({ constraint, session });
          return session;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { env: { ...env, DB }, sessions };
}

describe("X-D1-Bookmark on responses", () => {
  it("a read returns a bookmark", async () => {
    const { api } = await newProject();
    const res = await api.get("/crm/orders");
    expect(res.status).toBe(200);
    bookmarkOf(res);
  });

  it("a write returns a bookmark", async () => {
    const { created } = await newOrder();
    bookmarkOf(created);
  });

  it("PUT and DELETE return a bookmark", async () => {
    const { api, created } = await newOrder();
    const id = created.body.data.id;
    const updated = await api.put(`/crm/orders/${id}`, { notes: "changed" });
    expect(updated.status).toBe(200);
    bookmarkOf(updated);
    const deleted = await api.delete(`/crm/orders/${id}`);
    expect(deleted.status).toBe(200);
    bookmarkOf(deleted);
  });

  it("an error answered after the database was reached (404) still returns a bookmark", async () => {
    const { api } = await newProject();
    const res = await api.get(`/crm/orders/${crypto.randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "Order not found" });
    bookmarkOf(res);
  });

  it("is the newest bookmark of the request's session", async () => {
    const { key } = await newProject();
    const recorder = recordingDb();
    const res = await call("POST", "/crm/customers", { key, body: { name: "Grace" }, env: recorder.env });
    expect(res.status).toBe(201);
    expect(recorder.sessions).toHaveLength(1);
    expect(res.headers.get(BOOKMARK_HEADER)).toBe(recorder.sessions[0]!.session.getBookmark());
  });

  it("a request without a key is refused before any session is opened (no bookmark)", async () => {
    const recorder = recordingDb();
    const res = await call("GET", "/crm/orders", { env: recorder.env });
    expect(res.status).toBe(401);
    expect(res.headers.get(BOOKMARK_HEADER)).toBeNull();
    expect(recorder.sessions).toHaveLength(0);
  });
});

describe("X-D1-Bookmark on requests", () => {
  it("without a bookmark, the session starts unconstrained and the request works", async () => {
    const { key, api } = await newProject();
    await createCustomer(api, { name: "No Bookmark" });
    const recorder = recordingDb();
    const res = await call("GET", "/crm/customers", { key, env: recorder.env });
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: any) => c.name)).toEqual(["No Bookmark"]);
    expect(recorder.sessions.map((s) => s.constraint)).toEqual(["first-unconstrained"]);
  });

  it("an empty or blank header counts as no bookmark", async () => {
    const { key } = await newProject();
    for (const value of ["", "   "]) {
      const recorder = recordingDb();
      const res = await call("GET", "/crm/orders", { key, headers: { [BOOKMARK_HEADER]: value }, env: recorder.env });
      expect(res.status).toBe(200);
      expect(recorder.sessions.map((s) => s.constraint)).toEqual(["first-unconstrained"]);
    }
  });

  it("the session starts from the bookmark the client echoes", async () => {
    const { key, api } = await newProject();
    const bookmark = bookmarkOf(await api.get("/crm/orders"));
    const recorder = recordingDb();
    const res = await call("GET", "/crm/orders", { key, headers: { [BOOKMARK_HEADER]: bookmark }, env: recorder.env });
    expect(res.status).toBe(200);
    expect(recorder.sessions.map((s) => s.constraint)).toEqual([bookmark]);
    bookmarkOf(res);
  });

  it("surrounding whitespace is ignored", async () => {
    const { key, api } = await newProject();
    const bookmark = bookmarkOf(await api.get("/crm/orders"));
    const recorder = recordingDb();
    const headers = { [BOOKMARK_HEADER]: `  ${bookmark} ` };
    const res = await call("GET", "/crm/orders", { key, headers, env: recorder.env });
    expect(res.status).toBe(200);
    expect(recorder.sessions.map((s) => s.constraint)).toEqual([bookmark]);
  });

  it.each([
    ["a word", "latest"],
    ["a session constraint instead of a bookmark", "first-primary"],
    ["too few parts", "00000000-00000001"],
    ["non-hex digits", "0000000g-00000001-00000000-00000000000000000000000000000000"],
    ["an over-long tail", `00000000-00000001-00000000-${"0".repeat(65)}`],
    ["SQL", "'; DROP TABLE orders; --"],
    ["a second value", "00000000-00000001-00000000-0, 00000000-00000001-00000000-0"],
  ])("a malformed bookmark (%s) is a 400 with a message, and nothing runs", async (_what, value) => {
    const { key } = await newProject();
    const recorder = recordingDb();
    const res = await call("GET", "/crm/orders", { key, headers: { [BOOKMARK_HEADER]: value }, env: recorder.env });
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({ message: expect.stringContaining(BOOKMARK_HEADER) });
    expect(recorder.sessions).toHaveLength(0);
  });

  it("a write with a malformed bookmark is refused and changes nothing", async () => {
    const { key, api } = await newProject();
    const res = await call("POST", "/crm/customers", {
      key,
      body: { name: "Never Stored" },
      headers: { [BOOKMARK_HEADER]: "not-a-bookmark" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.any(String) });
    const list = await api.get("/crm/customers");
    expect(list.body.pagination.total).toBe(0);
  });

  it("an unauthenticated request with a malformed bookmark is a 401, not a 400 (the key is checked first)", async () => {
    const res = await call("GET", "/crm/orders", { headers: { [BOOKMARK_HEADER]: "nope" } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: "Invalid or missing API key" });
  });
});

describe("read-your-writes with the bookmark", () => {
  it("GET of a created order with the write's bookmark sees it: 200 and the same body", async () => {
    const { api, created } = await newOrder();
    const bookmark = bookmarkOf(created);
    const read = await api.get(`/crm/orders/${created.body.data.id}`, { headers: { [BOOKMARK_HEADER]: bookmark } });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.body.data.total_amount).toBe(37.5);
    bookmarkOf(read);
  });

  it("a list with the write's bookmark includes the write", async () => {
    const { api, customer, created } = await newOrder();
    const bookmark = bookmarkOf(created);
    const list = await api.get(`/crm/orders?customer_id=${customer.id}`, { headers: { [BOOKMARK_HEADER]: bookmark } });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([created.body.data]);
    expect(list.body.pagination.total).toBe(1);
  });

  it("an update read back with its bookmark shows the new values", async () => {
    const { api, created } = await newOrder();
    const id = created.body.data.id;
    const updated = await api.put(
      `/crm/orders/${id}`,
      { status: "shipped" },
      { headers: { [BOOKMARK_HEADER]: bookmarkOf(created) } },
    );
    expect(updated.status).toBe(200);
    const read = await api.get(`/crm/orders/${id}`, { headers: { [BOOKMARK_HEADER]: bookmarkOf(updated) } });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(updated.body);
    expect(read.body.data.status).toBe("shipped");
  });

  it("a delete read back with its bookmark is gone", async () => {
    const { api, created } = await newOrder();
    const id = created.body.data.id;
    const deleted = await api.delete(`/crm/orders/${id}`);
    expect(deleted.status).toBe(200);
    const read = await api.get(`/crm/orders/${id}`, { headers: { [BOOKMARK_HEADER]: bookmarkOf(deleted) } });
    expect(read.status).toBe(404);
  });

  it("a chain of requests each echoing the last bookmark sees every earlier write", async () => {
    const { api } = await newProject();
    let bookmark: string | undefined;
    const send = async (method: "get" | "post", path: string, body?: unknown) => {
      const headers: Record<string, string> = bookmark ? { [BOOKMARK_HEADER]: bookmark } : {};
      const res = method === "get" ? await api.get(path, { headers }) : await api.post(path, body, { headers });
      bookmark = bookmarkOf(res);
      return res;
    };
    const customer = (await send("post", "/crm/customers", { name: "Chain" })).body.data;
    const product = (await send("post", "/products", { name: "Link", price: 1.1, units_in_stock: 3 })).body.data;
    const order = await send("post", "/crm/orders", {
      customer_id: customer.id,
      items: [{ product_id: product.id, quantity: 3 }],
    });
    expect(order.status).toBe(201);
    expect(order.body.data.total_amount).toBe(3.3);
    const list = await send("get", `/crm/orders?customer_id=${customer.id}`);
    expect(list.body.data.map((o: any) => o.id)).toEqual([order.body.data.id]);
  });

  it("requests without any bookmark also work (unconstrained reads; locally there is only the primary)", async () => {
    const { api, created } = await newOrder();
    const read = await api.get(`/crm/orders/${created.body.data.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, type Client, createCustomer, createProduct, newProject } from "./support/api";
import { countRows, createOrder } from "./support/resilience";

const STRONG_ETAG = /^"[0-9a-f]{32}"$/;
const PRECONDITION_FAILED = { message: expect.stringMatching(/If-Match/) };
const ifMatch = (value: string) => ({ headers: { "If-Match": value } });
/** The ETag's opaque value, without quotes. */
const opaque = (etag: string | null) => (etag ?? "").slice(1, -1);

let api: Client;
let projectId: string;
let customerId: string;
let productId: string;
let otherProductId: string;

beforeAll(async () => {
  ({ api, projectId } = await newProject());
  customerId = (await createCustomer(api)).id;
  productId = (await createProduct(api, { name: "Widget", price: 10 })).id;
  otherProductId = (await createProduct(api, { name: "Gizmo", price: 2.5 })).id;
});

type Resource = {
  name: string;
  path: string;
  create: () => Promise<{ id: string }>;
  /** A valid PUT body that differs for each `n` (so the winner of a race is recognisable). */
  update: (n: number) => Record<string, unknown>;
  /** The field of the resource that `update(n)` sets, and its value. */
  changed: (n: number) => [string, unknown];
};

const resources: Resource[] = [
  {
    name: "orders",
    path: "/crm/orders",
    create: () => createOrder(api, customerId, productId),
    update: (n) => ({ notes: `writer ${n}` }),
    changed: (n) => ["notes", `writer ${n}`],
  },
  {
    name: "customers",
    path: "/crm/customers",
    create: () => createCustomer(api, { name: "Versioned Customer" }),
    update: (n) => ({ company: `Company ${n}` }),
    changed: (n) => ["company", `Company ${n}`],
  },
  {
    name: "products",
    path: "/products",
    create: () => createProduct(api, { name: "Versioned Product" }),
    update: (n) => ({ description: `edition ${n}` }),
    changed: (n) => ["description", `edition ${n}`],
  },
];

describe.each(resources)("ETag and If-Match on $path", (resource) => {
  const url = (id: string) => `${resource.path}/${id}`;
  const read = async (id: string) => {
    const res = await api.get(url(id));
    expect(res.status).toBe(200);
    return res;
  };

  it("POST, GET and PUT return a strong, quoted ETag that changes with every write", async () => {
    const created = await api.post(resource.path, await bodyOf(resource));
    expect(created.status).toBe(201);
    expect(created.headers.get("ETag")).toMatch(STRONG_ETAG);
    const got = await read(created.body.data.id);
    expect(got.headers.get("ETag")).toBe(created.headers.get("ETag"));
    // Reading does not change it.
    expect((await read(created.body.data.id)).headers.get("ETag")).toBe(got.headers.get("ETag"));
    const put = await api.put(url(created.body.data.id), resource.update(1));
    expect(put.status).toBe(200);
    expect(put.headers.get("ETag")).toMatch(STRONG_ETAG);
    expect(put.headers.get("ETag")).not.toBe(got.headers.get("ETag"));
    expect((await read(created.body.data.id)).headers.get("ETag")).toBe(put.headers.get("ETag"));
  });

  it("PUT with the current ETag succeeds; with a stale one it is a 412 and changes nothing", async () => {
    const { id } = await resource.create();
    const v1 = await read(id);
    const ok = await api.put(url(id), resource.update(1), ifMatch(v1.headers.get("ETag") as string));
    expect(ok.status).toBe(200);
    const [field, value] = resource.changed(1);
    expect(ok.body.data[field]).toBe(value);

    const v2 = await read(id);
    const stale = await api.put(url(id), resource.update(2), ifMatch(v1.headers.get("ETag") as string));
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(PRECONDITION_FAILED);
    const after = await read(id);
    expect(after.body).toEqual(v2.body);
    expect(after.headers.get("ETag")).toBe(v2.headers.get("ETag"));
  });

  it("DELETE with a stale If-Match is a 412 and deletes nothing; with the current one it deletes", async () => {
    const { id } = await resource.create();
    const v1 = await read(id);
    await api.put(url(id), resource.update(1));
    const stale = await api.delete(url(id), ifMatch(v1.headers.get("ETag") as string));
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(PRECONDITION_FAILED);
    const current = await read(id);
    const ok = await api.delete(url(id), ifMatch(current.headers.get("ETag") as string));
    expect(ok.status).toBe(200);
    expect((await api.get(url(id))).status).toBe(404);
  });

  it("If-Match: * matches any current version, and is a 404 when the resource is gone", async () => {
    const { id } = await resource.create();
    await api.put(url(id), resource.update(1));
    const put = await api.put(url(id), resource.update(2), ifMatch("*"));
    expect(put.status).toBe(200);
    const del = await api.delete(url(id), ifMatch("*"));
    expect(del.status).toBe(200);
    expect((await api.put(url(id), resource.update(3), ifMatch("*"))).status).toBe(404);
    expect((await api.delete(url(id), ifMatch("*"))).status).toBe(404);
  });

  it("a list of ETags matches if any of them is current", async () => {
    const { id } = await resource.create();
    const current = (await read(id)).headers.get("ETag") as string;
    const res = await api.put(url(id), resource.update(1), ifMatch(`"0000", ${current}, "ffff"`));
    expect(res.status).toBe(200);
  });

  it("If-Match may list any number of ETags: 150 stale ones are a 412, with the current one among them a 200", async () => {
    // D1 allows 100 bound parameters per statement: the list must not become one parameter per ETag.
    const { id } = await resource.create();
    const many = Array.from({ length: 150 }, (_, i) => `"${i.toString(16).padStart(32, "0")}"`);
    const before = await read(id);
    const stalePut = await api.put(url(id), resource.update(1), ifMatch(many.join(", ")));
    expect(stalePut.status).toBe(412);
    const staleDelete = await api.delete(url(id), ifMatch(many.join(",")));
    expect(staleDelete.status).toBe(412);
    expect((await read(id)).body).toEqual(before.body);

    const withCurrent = [...many.slice(0, 75), before.headers.get("ETag"), ...many.slice(75)].join(", ");
    const put = await api.put(url(id), resource.update(2), ifMatch(withCurrent));
    expect(put.status).toBe(200);
    const current = (await read(id)).headers.get("ETag") as string;
    const del = await api.delete(url(id), ifMatch([...many, current].join(", ")));
    expect(del.status).toBe(200);
  });

  it.each([
    ["the weak form of the current ETag", (etag: string) => `W/${etag}`],
    ["the current ETag unquoted", (etag: string) => opaque(etag)],
    ["an empty If-Match", () => ""],
    ["an empty quoted ETag", () => '""'],
    ["the current ETag in other letter case", (etag: string) => etag.toUpperCase()],
  ])("%s never matches (412, nothing changes)", async (_name, spell) => {
    const { id } = await resource.create();
    const before = await read(id);
    const etag = before.headers.get("ETag") as string;
    const put = await api.put(url(id), resource.update(9), ifMatch(spell(etag)));
    expect(put.status).toBe(412);
    expect(put.body).toEqual(PRECONDITION_FAILED);
    const del = await api.delete(url(id), ifMatch(spell(etag)));
    expect(del.status).toBe(412);
    const after = await read(id);
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(etag);
  });

  it("If-Match on a missing resource is a 404, not a 412", async () => {
    const missing = crypto.randomUUID();
    expect((await api.put(url(missing), resource.update(1), ifMatch('"abc"'))).status).toBe(404);
    expect((await api.delete(url(missing), ifMatch('"abc"'))).status).toBe(404);
  });

  it("20 parallel PUTs with the same If-Match: exactly 1 succeeds, 19 are 412, and the winner's write is what stays", async () => {
    const { id } = await resource.create();
    const etag = (await read(id)).headers.get("ETag") as string;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) => api.put(url(id), resource.update(n), ifMatch(etag))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(412)]);
    for (const loser of responses.filter((r) => r.status === 412)) expect(loser.body).toEqual(PRECONDITION_FAILED);

    const winnerIndex = responses.findIndex((r) => r.status === 200);
    const winner = responses[winnerIndex] as ApiResponse;
    const [field, value] = resource.changed(winnerIndex);
    expect(winner.body.data[field]).toBe(value);
    const final = await read(id);
    expect(final.body).toEqual(winner.body);
    expect(final.headers.get("ETag")).toBe(winner.headers.get("ETag"));
  });

  it("20 parallel PUTs without If-Match all succeed (last writer wins, as documented)", async () => {
    const { id } = await resource.create();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => api.put(url(id), resource.update(n))));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const final = await read(id);
    const [field] = resource.changed(0);
    const values = responses.map((r) => r.body.data[field]);
    expect(values).toContain(final.body.data[field]);
  });

  it("20 parallel DELETEs with the same If-Match: exactly 1 deletes, the others fail without effect", async () => {
    const { id } = await resource.create();
    const etag = (await read(id)).headers.get("ETag") as string;
    const responses = await Promise.all(Array.from({ length: 20 }, () => api.delete(url(id), ifMatch(etag))));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    // Those that ran after the delete find nothing (404); those that raced it lose the precondition (412).
    for (const r of responses.filter((r) => r.status !== 200)) expect([404, 412]).toContain(r.status);
    expect((await api.get(url(id))).status).toBe(404);
  });
});

async function bodyOf(resource: Resource): Promise<Record<string, unknown>> {
  if (resource.name === "orders") return { customer_id: customerId, items: [{ product_id: productId, quantity: 1 }] };
  if (resource.name === "customers") return { name: "Etag Customer" };
  return { name: "Etag Product", price: 3, units_in_stock: 1 };
}

describe("If-Match on a delete that would fail anyway", () => {
  it("a customer or product still referenced by an order is a 409 whatever the If-Match (RFC 9110 13.2.1)", async () => {
    const customer = await createCustomer(api, { name: "Referenced" });
    const product = await createProduct(api, { name: "Referenced" });
    await createOrder(api, customer.id, product.id);
    for (const path of [`/crm/customers/${customer.id}`, `/products/${product.id}`]) {
      const current = (await api.get(path)).headers.get("ETag") as string;
      for (const value of ['"stale"', current, "*"]) {
        const res = await api.delete(path, ifMatch(value));
        expect(res.status).toBe(409);
        expect(res.body).toEqual({ message: expect.any(String) });
      }
      expect((await api.get(path)).status).toBe(200);
    }
  });
});

describe("conditional writes that replace child rows", () => {
  it("a stale PUT of an order's items changes neither the order nor its items", async () => {
    const order = await createOrder(api, customerId, productId);
    const v1 = await api.get(`/crm/orders/${order.id}`);
    await api.put(`/crm/orders/${order.id}`, { notes: "moved on" });
    const v2 = await api.get(`/crm/orders/${order.id}`);
    const itemsBefore = await countRows("order_items", projectId);

    const stale = await api.put(
      `/crm/orders/${order.id}`,
      { items: [{ product_id: otherProductId, quantity: 7 }] },
      ifMatch(v1.headers.get("ETag") as string),
    );
    expect(stale.status).toBe(412);
    const after = await api.get(`/crm/orders/${order.id}`);
    expect(after.body).toEqual(v2.body);
    expect(await countRows("order_items", projectId)).toBe(itemsBefore);
  });

  it("20 parallel PUTs replacing an order's items: the winner's items and total, and nobody else's, remain", async () => {
    const order = await createOrder(api, customerId, productId);
    const etag = (await api.get(`/crm/orders/${order.id}`)).headers.get("ETag") as string;
    const itemsBefore = await countRows("order_items", projectId);
    // Writer n sends n+1 lines of the second product (2.50 each, quantity 1).
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        api.put(
          `/crm/orders/${order.id}`,
          { items: Array.from({ length: n + 1 }, () => ({ product_id: otherProductId, quantity: 1 })) },
          ifMatch(etag),
        ),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(412)]);
    const n = responses.findIndex((r) => r.status === 200);
    const final = await api.get(`/crm/orders/${order.id}`);
    expect(final.body.data.orderItems).toHaveLength(n + 1);
    expect(final.body.data.total_amount).toBe((n + 1) * 2.5);
    expect(final.body).toEqual(responses[n]?.body);
    // The order had 1 line; now it has n + 1 and no loser's lines were written.
    expect(await countRows("order_items", projectId)).toBe(itemsBefore - 1 + n + 1);
  });

  it("20 parallel PUTs replacing a product's images: only the winner's images remain", async () => {
    const product = await createProduct(api, { name: "Pictured", images: [{ url: "https://img.test/0.png" }] });
    const etag = (await api.get(`/products/${product.id}`)).headers.get("ETag") as string;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        api.put(
          `/products/${product.id}`,
          { images: Array.from({ length: (n % 5) + 1 }, (_, i) => ({ url: `https://img.test/${n}/${i}.png` })) },
          ifMatch(etag),
        ),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(412)]);
    const n = responses.findIndex((r) => r.status === 200);
    const final = await api.get(`/products/${product.id}`);
    expect(final.body.data.images.map((image: { url: string }) => image.url)).toEqual(
      Array.from({ length: (n % 5) + 1 }, (_, i) => `https://img.test/${n}/${i}.png`),
    );
  });
});

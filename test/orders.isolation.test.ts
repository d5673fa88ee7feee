import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, newProject } from "./support/api";
import { catalog, countRows, createOrder, getOrder, idsOf, missingId, withoutId } from "./support/orders";

// Project B must not see or touch project A's orders, customers or products through any order endpoint, and
// its answers must be exactly those for rows that do not exist (compared with a random UUID's answer).

type Side = { api: Client; projectId: string; customer: any; product: any; order: any };

let a: Side;
let b: Side;

async function side(note: string): Promise<Side> {
  const { api, projectId } = await newProject();
  const { customer, products } = await catalog(api, [7.25]);
  const order = await createOrder(api, {
    customer_id: customer.id,
    items: [{ product_id: products[0].id, quantity: 2 }],
    status: "processing",
    notes: note,
    shipping_address: `${note} street`,
  });
  return { api, projectId, customer, product: products[0], order };
}

/** A's order exactly as it was at the start (same body, same ETag), its items and nothing else in A. */
async function expectAUntouched() {
  const now = await getOrder(a.api, a.order.id);
  expect(now.body).toStrictEqual({ data: a.order });
  const list = await a.api.get("/crm/orders");
  expect(list.status).toBe(200);
  expect(list.body).toStrictEqual({ data: [a.order], pagination: { total: 1, page: 1, limit: 10 } });
  expect(await countRows("order_items", a.projectId)).toBe(1);
}

/** B's answer about one of A's ids equals its answer about a random UUID (the id itself masked). */
async function expectLikeMissing(
  request: (id: string) => Promise<{ status: number; body: unknown; headers: Headers }>,
  aId: string,
) {
  const random = missingId();
  const onA = await request(aId);
  const onMissing = await request(random);
  expect(onA.status).toBe(onMissing.status);
  expect(withoutId(onA.body, aId)).toStrictEqual(withoutId(onMissing.body, random));
  expect(onA.headers.get("ETag")).toBe(onMissing.headers.get("ETag"));
  return onA;
}

beforeAll(async () => {
  a = await side("alpha-secret");
  b = await side("beta-public");
});

describe("project B and project A's orders", () => {
  it("A sees its own order (the control for every 404 below)", async () => {
    expect((await getOrder(a.api, a.order.id)).body.data.project_id).toBe(a.projectId);
    expect(a.projectId).not.toBe(b.projectId);
  });

  it("B cannot read A's order", async () => {
    for (const id of [a.order.id, a.order.id.toUpperCase()]) {
      const res = await expectLikeMissing((x) => b.api.get(`/crm/orders/${x}`), id);
      expect(res.status).toBe(404);
      expect(res.body).toStrictEqual({ message: "Order not found" });
    }
  });

  it("B's list never shows A's orders, whatever the filter", async () => {
    const own = await b.api.get("/crm/orders");
    expect(own.status).toBe(200);
    expect(own.body).toStrictEqual({ data: [b.order], pagination: { total: 1, page: 1, limit: 10 } });
    for (const query of ["?status=processing", "?search=alpha-secret", "?search=secret", "?search=al", "?limit=100"]) {
      const res = await b.api.get(`/crm/orders${query}`);
      expect(res.status, query).toBe(200);
      expect(idsOf(res), query).not.toContain(a.order.id);
    }
    const searched = await b.api.get("/crm/orders?search=alpha-secret");
    expect(searched.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });

  it("B filtering by A's customer_id or product_id gets an empty list, like a random UUID", async () => {
    for (const [param, id] of [
      ["customer_id", a.customer.id],
      ["product_id", a.product.id],
    ]) {
      const res = await expectLikeMissing((x) => b.api.get(`/crm/orders?${param}=${x}`), id);
      expect(res.status).toBe(200);
      expect(res.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
    }
  });

  it("B cannot update A's order", async () => {
    const res = await expectLikeMissing(
      (x) => b.api.put(`/crm/orders/${x}`, { notes: "taken over", status: "cancelled" }),
      a.order.id,
    );
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: "Order not found" });
    const withItems = await expectLikeMissing(
      (x) => b.api.put(`/crm/orders/${x}`, { items: [{ product_id: b.product.id, quantity: 1 }] }),
      a.order.id,
    );
    expect(withItems.status).toBe(404);
    await expectAUntouched();
  });

  it("B cannot delete A's order", async () => {
    const res = await expectLikeMissing((x) => b.api.delete(`/crm/orders/${x}`), a.order.id);
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: "Order not found" });
    await expectAUntouched();
  });

  it("B cannot order with A's customer or A's product", async () => {
    const withCustomer = await expectLikeMissing(
      (x) => b.api.post("/crm/orders", { customer_id: x, items: [{ product_id: b.product.id, quantity: 1 }] }),
      a.customer.id,
    );
    expect(withCustomer.status).toBe(404);
    expect(withCustomer.body).toStrictEqual({ message: "Customer not found" });

    const withProduct = await expectLikeMissing(
      (x) =>
        b.api.post("/crm/orders", {
          customer_id: b.customer.id,
          items: [
            { product_id: b.product.id, quantity: 1 },
            { product_id: x, quantity: 1 },
          ],
        }),
      a.product.id,
    );
    expect(withProduct.status).toBe(404);
    expect(withProduct.body).toStrictEqual({ message: `Product with id ${a.product.id} not found` });
    expect(await countRows("orders", b.projectId)).toBe(1);
    await expectAUntouched();
  });

  it("B cannot move its own order to A's customer or A's product", async () => {
    const before = await getOrder(b.api, b.order.id);
    const toCustomer = await expectLikeMissing(
      (x) => b.api.put(`/crm/orders/${b.order.id}`, { customer_id: x }),
      a.customer.id,
    );
    expect(toCustomer.status).toBe(404);
    expect(toCustomer.body).toStrictEqual({ message: "Customer not found" });
    const toProduct = await expectLikeMissing(
      (x) => b.api.put(`/crm/orders/${b.order.id}`, { items: [{ product_id: x, quantity: 1 }] }),
      a.product.id,
    );
    expect(toProduct.status).toBe(404);
    expect(toProduct.body).toStrictEqual({ message: `Product with id ${a.product.id} not found` });
    const after = await getOrder(b.api, b.order.id);
    expect(after.text).toBe(before.text);
    expect(after.etag).toBe(before.etag);
    await expectAUntouched();
  });

  it("property: any order request by B naming A's ids answers like one naming a random UUID (fixed seed)", async () => {
    type Ids = { order: string; customer: string; product: string };
    const requests: Record<string, (ids: Ids) => Promise<{ status: number; body: unknown; headers: Headers }>> = {
      get: (ids) => b.api.get(`/crm/orders/${ids.order}`),
      delete: (ids) => b.api.delete(`/crm/orders/${ids.order}`),
      putNotes: (ids) => b.api.put(`/crm/orders/${ids.order}`, { notes: "x" }),
      putItems: (ids) => b.api.put(`/crm/orders/${ids.order}`, { items: [{ product_id: ids.product, quantity: 1 }] }),
      putCustomer: (ids) => b.api.put(`/crm/orders/${ids.order}`, { customer_id: ids.customer }),
      moveOwnToCustomer: (ids) => b.api.put(`/crm/orders/${b.order.id}`, { customer_id: ids.customer }),
      moveOwnToProduct: (ids) =>
        b.api.put(`/crm/orders/${b.order.id}`, { items: [{ product_id: ids.product, quantity: 3 }] }),
      createWithCustomer: (ids) =>
        b.api.post("/crm/orders", { customer_id: ids.customer, items: [{ product_id: b.product.id, quantity: 1 }] }),
      createWithProduct: (ids) =>
        b.api.post("/crm/orders", { customer_id: b.customer.id, items: [{ product_id: ids.product, quantity: 1 }] }),
      listByCustomer: (ids) => b.api.get(`/crm/orders?customer_id=${ids.customer}`),
      listByProduct: (ids) => b.api.get(`/crm/orders?product_id=${ids.product}`),
      listByBoth: (ids) => b.api.get(`/crm/orders?customer_id=${ids.customer}&product_id=${ids.product}`),
    };
    const bBefore = await getOrder(b.api, b.order.id);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(requests)),
        fc.boolean(),
        fc.uuid({ version: 4 }),
        async (name, upper, random) => {
          const spell = (id: string) => (upper ? id.toUpperCase() : id);
          const onA = await requests[name]!({
            order: spell(a.order.id),
            customer: spell(a.customer.id),
            product: spell(a.product.id),
          });
          const onMissing = await requests[name]!({ order: random, customer: random, product: random });
          expect(onA.status, name).toBe(onMissing.status);
          expect(onA.status, name).not.toBe(500);
          const masked = (body: unknown) =>
            withoutId(withoutId(withoutId(body, a.order.id), a.customer.id), a.product.id);
          expect(masked(onA.body), name).toStrictEqual(withoutId(onMissing.body, random));
        },
      ),
      { seed: 20240120, numRuns: 60 },
    );
    await expectAUntouched();
    const bAfter = await getOrder(b.api, b.order.id);
    expect(bAfter.text).toBe(bBefore.text);
    expect(await countRows("orders", b.projectId)).toBe(1);
  });
});

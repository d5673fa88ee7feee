import { describe, expect, it } from "vitest";
import { type Client, call, createProduct, newProject } from "./support/api";
import { catalog, countRows, createOrder, getOrder, missingId } from "./support/orders";

// Every bad input CONTRACT.md names for the order endpoints: the exact status and message, and proof that a
// request failing validation or lookup changes nothing.

const INVALID = "Invalid request parameters";

async function setup() {
  const { api, key, projectId } = await newProject();
  const { customer, products } = await catalog(api, [10, 20]);
  const valid = () => ({
    customer_id: customer.id,
    items: [{ product_id: products[0].id, quantity: 2 }],
  });
  return { api, key, projectId, customer, products, valid };
}

/** A 400 whose message is exactly `message` and whose `errors` (when present) name `field`. */
function expect400(res: { status: number; body: any }, message: string | RegExp, field?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  if (typeof message === "string") expect(res.body.message).toBe(message);
  else expect(res.body.message).toMatch(message);
  expect(Object.keys(res.body).filter((k) => k !== "errors")).toEqual(["message"]);
  if (field !== undefined) expect(res.body.errors.map((e: any) => e.field)).toContain(field);
}

/** Asserts that nothing was written in the project: no orders and no items. */
async function expectNoOrders(api: Client, projectId: string) {
  const list = await api.get("/crm/orders");
  expect(list.status).toBe(200);
  expect(list.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  expect(await countRows("orders", projectId)).toBe(0);
  expect(await countRows("order_items", projectId)).toBe(0);
}

describe("create: published validation messages", () => {
  it("answers 400 'customer_id is required' without customer_id", async () => {
    const { api, projectId, valid } = await setup();
    const { customer_id: _omitted, ...body } = valid();
    expect400(await api.post("/crm/orders", body), "customer_id is required", "customer_id");
    expect400(await api.post("/crm/orders", {}), "customer_id is required", "customer_id");
    await expectNoOrders(api, projectId);
  });

  it("answers 400 'items must contain at least 1 item' for empty items", async () => {
    const { api, projectId, valid } = await setup();
    expect400(await api.post("/crm/orders", { ...valid(), items: [] }), "items must contain at least 1 item", "items");
    await expectNoOrders(api, projectId);
  });

  it("answers 400 naming items when items are missing or not an array", async () => {
    const { api, projectId, customer } = await setup();
    expect400(await api.post("/crm/orders", { customer_id: customer.id }), /^items\b/, "items");
    expect400(await api.post("/crm/orders", { customer_id: customer.id, items: null }), /^items\b/, "items");
    expect400(await api.post("/crm/orders", { customer_id: customer.id, items: {} }), /^items\b/, "items");
    await expectNoOrders(api, projectId);
  });

  it("accepts 100 items and refuses 101", async () => {
    const { api, projectId, valid, products } = await setup();
    const items = (n: number) => Array.from({ length: n }, () => ({ product_id: products[0].id, quantity: 1 }));
    expect400(await api.post("/crm/orders", { ...valid(), items: items(101) }), /^items\b/, "items");
    await expectNoOrders(api, projectId);
    const ok = await api.post("/crm/orders", { ...valid(), items: items(100) });
    expect(ok.status).toBe(201);
    expect(ok.body.data.orderItems).toHaveLength(100);
    expect(ok.body.data.total_amount).toBe(1000);
  });

  it("refuses a quantity that is not an integer from 1 to 1,000,000, naming the field", async () => {
    const { api, projectId, valid, products } = await setup();
    for (const quantity of [0, -1, 1.5, 1_000_001, "2", null, true, 1e21]) {
      const body = {
        ...valid(),
        items: [
          { product_id: products[1].id, quantity: 1 },
          { product_id: products[0].id, quantity },
        ],
      };
      expect400(await api.post("/crm/orders", body), /^items\[1\]\.quantity\b/, "items[1].quantity");
    }
    const missing = { ...valid(), items: [{ product_id: products[0].id }] };
    expect400(await api.post("/crm/orders", missing), "items[0].quantity is required", "items[0].quantity");
    await expectNoOrders(api, projectId);
    for (const quantity of [1, 1_000_000]) {
      const ok = await api.post("/crm/orders", { ...valid(), items: [{ product_id: products[0].id, quantity }] });
      expect(ok.status).toBe(201);
      expect(ok.body.data.orderItems[0].quantity).toBe(quantity);
    }
  });

  it("refuses a product_id or customer_id that is not a UUID, naming the field", async () => {
    const { api, projectId, valid } = await setup();
    expect400(await api.post("/crm/orders", { ...valid(), customer_id: "42" }), /^customer_id\b/, "customer_id");
    expect400(await api.post("/crm/orders", { ...valid(), customer_id: null }), /^customer_id\b/, "customer_id");
    expect400(
      await api.post("/crm/orders", { ...valid(), items: [{ product_id: "not-a-uuid", quantity: 1 }] }),
      /^items\[0\]\.product_id\b/,
      "items[0].product_id",
    );
    expect400(
      await api.post("/crm/orders", { ...valid(), items: [{ quantity: 1 }] }),
      "items[0].product_id is required",
      "items[0].product_id",
    );
    await expectNoOrders(api, projectId);
  });

  it("refuses an unknown status", async () => {
    const { api, projectId, valid } = await setup();
    for (const status of ["done", "PENDING", "", null, 1]) {
      expect400(await api.post("/crm/orders", { ...valid(), status }), /^status\b/, "status");
    }
    await expectNoOrders(api, projectId);
  });

  it("refuses an order_date that is not an ISO-8601 date-time with a zone", async () => {
    const { api, projectId, valid } = await setup();
    for (const order_date of [
      "2024-02-30",
      "2023-02-29T10:00:00Z",
      "yesterday",
      "2024-01-20T10:00:00",
      "2024-01-20 10:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-20T24:00:00Z",
      "20/01/2024",
      "",
      1705744800000,
      null,
    ]) {
      expect400(await api.post("/crm/orders", { ...valid(), order_date }), /^order_date\b/, "order_date");
    }
    await expectNoOrders(api, projectId);
  });

  it("refuses fields the endpoint does not know, naming them (totals, ids, project and timestamps cannot be set)", async () => {
    const { api, projectId, valid, products } = await setup();
    const unknown: [Record<string, unknown>, string][] = [
      [{ total_amount: 0.01 }, "total_amount"],
      [{ id: missingId() }, "id"],
      [{ project_id: missingId() }, "project_id"],
      [{ createdAt: "2024-01-01T00:00:00.000Z" }, "createdAt"],
      [{ updatedAt: "2024-01-01T00:00:00.000Z" }, "updatedAt"],
      [{ orderItems: [] }, "orderItems"],
    ];
    for (const [extra, name] of unknown) {
      const res = await api.post("/crm/orders", { ...valid(), ...extra });
      expect400(res, new RegExp(`\\b${name}\\b`));
    }
    const inItem = await api.post("/crm/orders", {
      ...valid(),
      items: [{ product_id: products[0].id, quantity: 1, unit_price: 0.01 }],
    });
    expect400(inItem, /unit_price/);
    expect(inItem.body.message).toMatch(/items\[0\]/);
    await expectNoOrders(api, projectId);
  });

  it("answers 400 'Invalid request parameters' to malformed JSON and other content types", async () => {
    const { key, api, projectId, valid } = await setup();
    const json = JSON.stringify(valid());
    const attempts: [string | undefined, string][] = [
      ["application/json", "{bad json"],
      ["application/json", ""],
      ["application/json", `${json.slice(0, -1)}`],
      ["text/plain", json],
      ["application/x-www-form-urlencoded", "customer_id=x"],
      [undefined, json],
    ];
    for (const [contentType, rawBody] of attempts) {
      const res = await call("POST", "/crm/orders", {
        key,
        rawBody,
        headers: contentType ? { "Content-Type": contentType } : {},
      });
      expect(res.status, `${contentType}: ${rawBody}`).toBe(400);
      expect(res.body.message).toBe(INVALID);
    }
    for (const body of [[valid()], "a string", 42, null]) {
      expect400(await api.post("/crm/orders", body), /body/i);
    }
    await expectNoOrders(api, projectId);
  });
});

describe("create: references", () => {
  it("answers 404 'Customer not found' for an unknown customer", async () => {
    const { api, projectId, valid } = await setup();
    const res = await api.post("/crm/orders", { ...valid(), customer_id: missingId() });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: "Customer not found" });
    await expectNoOrders(api, projectId);
  });

  it("answers 404 'Product with id <uuid> not found' for an unknown product", async () => {
    const { api, projectId, valid } = await setup();
    const unknown = missingId();
    const res = await api.post("/crm/orders", { ...valid(), items: [{ product_id: unknown, quantity: 1 }] });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: `Product with id ${unknown} not found` });
    await expectNoOrders(api, projectId);
  });

  it("names the first unknown product in request order", async () => {
    const { api, projectId, valid, products } = await setup();
    // The first unknown id sorts after the second, so neither SQL order nor sorting can pick it by accident.
    const first = `ffffffff-${missingId().slice(9)}`;
    const second = `00000000-${missingId().slice(9)}`;
    const res = await api.post("/crm/orders", {
      ...valid(),
      items: [
        { product_id: products[0].id, quantity: 1 },
        { product_id: first, quantity: 1 },
        { product_id: products[1].id, quantity: 1 },
        { product_id: second, quantity: 1 },
        { product_id: first, quantity: 2 },
      ],
    });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: `Product with id ${first} not found` });

    const reversed = await api.post("/crm/orders", {
      ...valid(),
      items: [
        { product_id: second, quantity: 1 },
        { product_id: first, quantity: 1 },
      ],
    });
    expect(reversed.status).toBe(404);
    expect(reversed.body).toStrictEqual({ message: `Product with id ${second} not found` });
    await expectNoOrders(api, projectId);
  });

  it("treats a deleted product as unknown", async () => {
    const { api, projectId, valid } = await setup();
    const gone = await createProduct(api, { name: "Gone", price: 1 });
    expect((await api.delete(`/products/${gone.id}`)).status).toBe(200);
    const res = await api.post("/crm/orders", { ...valid(), items: [{ product_id: gone.id, quantity: 1 }] });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: `Product with id ${gone.id} not found` });
    await expectNoOrders(api, projectId);
  });
});

describe("single order: malformed and unknown ids", () => {
  it("answers 404 'Order not found' to GET, PUT and DELETE of a malformed or unknown :orderId", async () => {
    const { api, valid } = await setup();
    const order = await createOrder(api, valid());
    for (const id of ["abc", "123", `${order.id}x`, order.id.slice(0, -1), "%20", missingId()]) {
      for (const [method, res] of [
        ["GET", await api.get(`/crm/orders/${id}`)],
        ["PUT", await api.put(`/crm/orders/${id}`, { notes: "x" })],
        ["DELETE", await api.delete(`/crm/orders/${id}`)],
      ] as const) {
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(res.body, `${method} ${id}`).toStrictEqual({ message: "Order not found" });
      }
    }
    expect((await getOrder(api, order.id)).body.data).toStrictEqual(order);
  });
});

describe("list: bad query parameters", () => {
  it("answers 400 'Invalid request parameters'", async () => {
    const { api, valid } = await setup();
    await createOrder(api, valid());
    const bad = [
      "limit=0",
      "limit=101",
      "limit=abc",
      "limit=1.5",
      "limit=-1",
      "limit=",
      "page=0",
      "page=-1",
      "page=abc",
      "page=1e3",
      "status=foo",
      "status=PENDING",
      "customer_id=not-uuid",
      "customer_id=",
      "product_id=not-uuid",
      `product_id=${missingId()}x`,
      `search=${"a".repeat(201)}`,
    ];
    for (const query of bad) {
      const res = await api.get(`/crm/orders?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toBe(INVALID);
    }
  });

  it("accepts the boundaries limit=1, limit=100 and page=1", async () => {
    const { api, valid } = await setup();
    const order = await createOrder(api, valid());
    for (const query of ["limit=1", "limit=100", "page=1", "page=1&limit=100"]) {
      const res = await api.get(`/crm/orders?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body.data).toStrictEqual([order]);
    }
  });
});

describe("update: a failing PUT changes nothing", () => {
  async function withOrder() {
    const ctx = await setup();
    const order = await createOrder(ctx.api, {
      ...ctx.valid(),
      notes: "original",
      shipping_address: "1 Original St",
      order_date: "2024-01-20T10:00:00.000Z",
    });
    const before = await getOrder(ctx.api, order.id);
    async function expectUnchanged() {
      const after = await getOrder(ctx.api, order.id);
      expect(after.text).toBe(before.text);
      expect(after.etag).toBe(before.etag);
      expect(await countRows("order_items", ctx.projectId, "AND order_id = ?", order.id)).toBe(1);
    }
    return { ...ctx, order, before, expectUnchanged };
  }

  it("answers 400 to an empty body", async () => {
    const { api, order, expectUnchanged } = await withOrder();
    expect400(await api.put(`/crm/orders/${order.id}`, {}), /field/);
    await expectUnchanged();
  });

  it("answers 400 to invalid fields and leaves the order byte-identical", async () => {
    const { api, order, products, expectUnchanged } = await withOrder();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ status: "foo" }, /^status\b/],
      [{ status: null }, /^status\b/],
      [{ items: [] }, /^items must contain at least 1 item$/],
      [{ items: null }, /^items\b/],
      [{ items: [{ product_id: products[1].id, quantity: 0 }] }, /^items\[0\]\.quantity\b/],
      [{ items: [{ product_id: products[1].id, quantity: 2.5 }] }, /^items\[0\]\.quantity\b/],
      [{ items: [{ product_id: products[1].id, quantity: 1_000_001 }] }, /^items\[0\]\.quantity\b/],
      [{ customer_id: "nope" }, /^customer_id\b/],
      [{ customer_id: null }, /^customer_id\b/],
      [{ order_date: "2024-02-30" }, /^order_date\b/],
      [{ order_date: "2024-01-20T10:00:00" }, /^order_date\b/],
      [{ order_date: null }, /^order_date\b/],
      [{ notes: 42 }, /^notes\b/],
      [{ notes: "x".repeat(2001) }, /^notes\b/],
      [{ total_amount: 1 }, /\btotal_amount\b/],
      [{ id: missingId() }, /\bid\b/],
      [{ project_id: missingId() }, /\bproject_id\b/],
      [{ createdAt: "2020-01-01T00:00:00.000Z" }, /\bcreatedAt\b/],
      [{ notes: "changed", total_amount: 1 }, /\btotal_amount\b/],
      [{ notes: "changed", items: [{ product_id: products[1].id, quantity: 1, unit_price: 1 }] }, /unit_price/],
    ];
    for (const [body, message] of cases) {
      expect400(await api.put(`/crm/orders/${order.id}`, body), message);
    }
    await expectUnchanged();
  });

  it("answers 400 'Invalid request parameters' to malformed JSON or another content type", async () => {
    const { key, order, expectUnchanged } = await withOrder();
    for (const [contentType, rawBody] of [
      ["application/json", '{"notes": "changed"'],
      ["text/plain", '{"notes": "changed"}'],
    ]) {
      const res = await call("PUT", `/crm/orders/${order.id}`, {
        key,
        rawBody,
        headers: { "Content-Type": contentType as string },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(INVALID);
    }
    await expectUnchanged();
  });

  it("answers 404 'Customer not found' to an unknown customer_id", async () => {
    const { api, order, products, expectUnchanged } = await withOrder();
    const res = await api.put(`/crm/orders/${order.id}`, {
      customer_id: missingId(),
      notes: "changed",
      items: [{ product_id: products[1].id, quantity: 5 }],
    });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: "Customer not found" });
    await expectUnchanged();
  });

  it("answers 404 'Product with id <uuid> not found' to an unknown product, naming the first", async () => {
    const { api, order, products, expectUnchanged } = await withOrder();
    const first = missingId();
    const res = await api.put(`/crm/orders/${order.id}`, {
      status: "shipped",
      notes: "changed",
      items: [
        { product_id: products[1].id, quantity: 1 },
        { product_id: first, quantity: 1 },
        { product_id: missingId(), quantity: 1 },
      ],
    });
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: `Product with id ${first} not found` });
    await expectUnchanged();
  });
});

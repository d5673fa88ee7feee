import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, createCustomer, createProduct, newProject } from "./support/api";
import {
  catalog,
  countRows,
  createOrder,
  customerSummary,
  getOrder,
  ISO_MS,
  idsOf,
  productSummary,
  sleep,
  UUID_RE,
} from "./support/orders";

// The happy paths of the five order endpoints, checked against the published docs and CONTRACT.md:
// exact shapes, defaults, price snapshots, totals in cents, updates, deletes, list filters and ordering.

const ORDER_KEYS = [
  "id",
  "customer_id",
  "total_amount",
  "status",
  "order_date",
  "shipping_address",
  "billing_address",
  "notes",
  "project_id",
  "createdAt",
  "updatedAt",
  "customer",
  "orderItems",
];
/** A 200 `{data}` answer whose data has these fields. */
function expectOk(res: { status: number; body: any }, fields: Record<string, unknown>) {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(Object.keys(res.body)).toEqual(["data"]);
  expect(res.body.data).toMatchObject(fields);
}

const ITEM_KEYS = ["id", "order_id", "product_id", "quantity", "unit_price", "total_amount", "product"];

describe("create and read", () => {
  it("answers 201 {data: order} in the published shape, and GET answers the identical body", async () => {
    const { api, projectId } = await newProject();
    const customer = await createCustomer(api, {
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone: "+44 20 7946 0000",
      company: "Analytical Engines Ltd",
    });
    const mug = await createProduct(api, {
      name: "Mug",
      sku: "MUG-1",
      price: 99.99,
      units_in_stock: 3,
      description: "Not shown in orders",
      images: [
        { url: "https://cdn.example.com/mug-front.png", name: "front" },
        { url: "https://cdn.example.com/mug-back.png" },
      ],
    });
    const plate = await createProduct(api, { name: "Plate", price: 4.5, units_in_stock: 0 });

    const res = await api.post("/crm/orders", {
      customer_id: customer.id,
      items: [
        { product_id: mug.id, quantity: 2 },
        { product_id: plate.id, quantity: 1 },
      ],
      status: "pending",
      order_date: "2024-01-20T10:00:00.000Z",
      shipping_address: "123 Main St, City, State 12345",
      billing_address: "123 Main St, City, State 12345",
      notes: "Please handle with care",
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["data"]);
    const order = res.body.data;
    expect(Object.keys(order).sort()).toEqual([...ORDER_KEYS].sort());
    expect(order).toStrictEqual({
      id: expect.stringMatching(UUID_RE),
      customer_id: customer.id,
      total_amount: 204.48,
      status: "pending",
      order_date: "2024-01-20T10:00:00.000Z",
      shipping_address: "123 Main St, City, State 12345",
      billing_address: "123 Main St, City, State 12345",
      notes: "Please handle with care",
      project_id: projectId,
      createdAt: expect.stringMatching(ISO_MS),
      updatedAt: expect.stringMatching(ISO_MS),
      customer: {
        id: customer.id,
        name: "Ada Lovelace",
        email: "ada@example.com",
        phone: "+44 20 7946 0000",
        company: "Analytical Engines Ltd",
      },
      orderItems: [
        {
          id: expect.stringMatching(UUID_RE),
          order_id: order.id,
          product_id: mug.id,
          quantity: 2,
          unit_price: 99.99,
          total_amount: 199.98,
          product: {
            id: mug.id,
            name: "Mug",
            sku: "MUG-1",
            price: 99.99,
            images: [
              { id: expect.stringMatching(UUID_RE), url: "https://cdn.example.com/mug-front.png", name: "front" },
              { id: expect.stringMatching(UUID_RE), url: "https://cdn.example.com/mug-back.png", name: null },
            ],
          },
        },
        {
          id: expect.stringMatching(UUID_RE),
          order_id: order.id,
          product_id: plate.id,
          quantity: 1,
          unit_price: 4.5,
          total_amount: 4.5,
          product: { id: plate.id, name: "Plate", sku: null, price: 4.5, images: [] },
        },
      ],
    });
    for (const item of order.orderItems) expect(Object.keys(item).sort()).toEqual([...ITEM_KEYS].sort());
    expect(order.orderItems[0].product.images).toEqual(mug.images);
    expect(order.orderItems[0].id).not.toBe(order.orderItems[1].id);
    expect(order.createdAt).toBe(order.updatedAt);
    expect(res.headers.get("ETag")).toMatch(/^"[^"]+"$/);

    const read = await api.get(`/crm/orders/${order.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toStrictEqual(res.body);
    expect(JSON.stringify(read.body)).toBe(JSON.stringify(res.body));
    expect(read.headers.get("ETag")).toBe(res.headers.get("ETag"));
  });

  it("defaults: status pending, optional text null, order_date now (UTC with milliseconds)", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [1]);
    const before = Date.now();
    const order = await createOrder(api, {
      customer_id: customer.id,
      items: [{ product_id: products[0].id, quantity: 1 }],
    });
    const after = Date.now();
    expect(order.status).toBe("pending");
    expect(order.notes).toBeNull();
    expect(order.shipping_address).toBeNull();
    expect(order.billing_address).toBeNull();
    expect(order.order_date).toMatch(ISO_MS);
    const orderDate = Date.parse(order.order_date);
    expect(orderDate).toBeGreaterThanOrEqual(before);
    expect(orderDate).toBeLessThanOrEqual(after);
    expect(Date.parse(order.createdAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(order.createdAt)).toBeLessThanOrEqual(after);
    expect((await getOrder(api, order.id)).body).toStrictEqual({ data: order });
  });

  it("accepts ids in any case and answers them in lower case", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [2]);
    const order = await createOrder(api, {
      customer_id: customer.id.toUpperCase(),
      items: [{ product_id: products[0].id.toUpperCase(), quantity: 1 }],
    });
    expect(order.customer_id).toBe(customer.id);
    expect(order.customer.id).toBe(customer.id);
    expect(order.orderItems[0].product_id).toBe(products[0].id);
    const read = await api.get(`/crm/orders/${order.id.toUpperCase()}`);
    expect(read.status).toBe(200);
    expect(read.body).toStrictEqual({ data: order });
  });

  it("stores an order_date given with an offset as UTC with milliseconds", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [1]);
    const cases: [string, string][] = [
      ["2024-01-20T12:00:00+02:00", "2024-01-20T10:00:00.000Z"],
      ["2024-01-20T04:30:00-05:30", "2024-01-20T10:00:00.000Z"],
      ["2024-01-20T10:00:00.5Z", "2024-01-20T10:00:00.500Z"],
      ["2024-01-20T10:00:00.123456Z", "2024-01-20T10:00:00.123Z"],
      ["2024-01-20T10:00Z", "2024-01-20T10:00:00.000Z"],
      ["2024-02-29T23:59:59.999+00:00", "2024-02-29T23:59:59.999Z"],
      ["2024-01-20", "2024-01-20T00:00:00.000Z"],
    ];
    for (const [given, stored] of cases) {
      const order = await createOrder(api, {
        customer_id: customer.id,
        items: [{ product_id: products[0].id, quantity: 1 }],
        order_date: given,
      });
      expect(order.order_date, given).toBe(stored);
      expect((await getOrder(api, order.id)).body.data.order_date, given).toBe(stored);
    }
  });

  it("keeps the request's item order; the same product twice makes two lines", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [2, 3]);
    const [a, b] = products;
    const order = await createOrder(api, {
      customer_id: customer.id,
      items: [
        { product_id: b.id, quantity: 1 },
        { product_id: a.id, quantity: 2 },
        { product_id: b.id, quantity: 3 },
      ],
    });
    expect(order.orderItems.map((i: any) => [i.product_id, i.quantity, i.unit_price, i.total_amount])).toEqual([
      [b.id, 1, 3, 3],
      [a.id, 2, 2, 4],
      [b.id, 3, 3, 9],
    ]);
    expect(order.total_amount).toBe(16);
    expect(new Set(order.orderItems.map((i: any) => i.id)).size).toBe(3);
    expect((await getOrder(api, order.id)).body.data.orderItems).toStrictEqual(order.orderItems);
  });

  it("snapshots unit_price: a later product price change shows in product.price only", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [10]);
    const [widget] = products;
    const order = await createOrder(api, {
      customer_id: customer.id,
      items: [{ product_id: widget.id, quantity: 3 }],
    });
    expect(order.orderItems[0]).toMatchObject({ unit_price: 10, total_amount: 30, product: { price: 10 } });

    const repriced = await api.put(`/products/${widget.id}`, { price: 12.5 });
    expect(repriced.status).toBe(200);
    expect(repriced.body.data.price).toBe(12.5);

    const { body } = await getOrder(api, order.id);
    expect(body.data).toStrictEqual({
      ...order,
      orderItems: [{ ...order.orderItems[0], product: { ...order.orderItems[0].product, price: 12.5 } }],
    });
    expect(body.data.total_amount).toBe(30);
    expect(body.data.orderItems[0].unit_price).toBe(10);
    const listed = await api.get("/crm/orders");
    expect(listed.status).toBe(200);
    expect(listed.body.data).toStrictEqual([body.data]);
  });

  it("computes totals in integer cents (3 x 0.10 is 0.3)", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [0.1, 1.15, 19.99, 0.07, 4.35, 0]);
    const cases: [number, number, number][] = [
      // [product index, quantity, exact line total]
      [0, 3, 0.3],
      [1, 3, 3.45],
      [2, 7, 139.93],
      [3, 3, 0.21],
      [4, 100, 435],
      [5, 9, 0],
      [1, 1_000_000, 1_150_000],
    ];
    for (const [index, quantity, total] of cases) {
      const order = await createOrder(api, {
        customer_id: customer.id,
        items: [{ product_id: products[index].id, quantity }],
      });
      expect(order.orderItems[0].unit_price).toBe(products[index].price);
      expect(order.orderItems[0].total_amount, `${products[index].price} x ${quantity}`).toBe(total);
      expect(order.total_amount).toBe(total);
    }
    const mixed = await createOrder(api, {
      customer_id: customer.id,
      items: cases.slice(0, 4).map(([index, quantity]) => ({ product_id: products[index].id, quantity })),
    });
    expect(mixed.orderItems.map((i: any) => i.total_amount)).toEqual([0.3, 3.45, 139.93, 0.21]);
    expect(mixed.total_amount).toBe(143.89);
    expect((await getOrder(api, mixed.id)).body.data.total_amount).toBe(143.89);
  });
});

describe("update", () => {
  async function setup() {
    const { api, projectId } = await newProject();
    const { customer, products } = await catalog(api, [10, 2.5]);
    const order = await createOrder(api, {
      customer_id: customer.id,
      items: [{ product_id: products[0].id, quantity: 2 }],
      order_date: "2024-01-20T10:00:00.000Z",
      shipping_address: "1 Ship St",
      billing_address: "2 Bill St",
      notes: "first notes",
    });
    return { api, projectId, customer, products, order };
  }

  it("changes only the given fields; items and totals stay as they are", async () => {
    const { api, order } = await setup();
    await sleep(5);
    const res = await api.put(`/crm/orders/${order.id}`, {
      status: "shipped",
      notes: "Leave at the door",
      billing_address: "9 New Billing Rd",
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["data"]);
    expect(res.body.data).toStrictEqual({
      ...order,
      status: "shipped",
      notes: "Leave at the door",
      billing_address: "9 New Billing Rd",
      updatedAt: expect.stringMatching(ISO_MS),
    });
    expect((await getOrder(api, order.id)).body).toStrictEqual(res.body);
  });

  it("keeps totals and unit prices when items are absent, even after the product's price changed", async () => {
    const { api, order, products } = await setup();
    expectOk(await api.put(`/products/${products[0].id}`, { price: 11 }), { price: 11 });
    const res = await api.put(`/crm/orders/${order.id}`, { status: "processing" });
    expect(res.status).toBe(200);
    expect(res.body.data.total_amount).toBe(20);
    expect(res.body.data.orderItems).toStrictEqual([
      { ...order.orderItems[0], product: { ...order.orderItems[0].product, price: 11 } },
    ]);
  });

  it("replaces all items when items are given, priced at the current product prices", async () => {
    const { api, projectId, order, products } = await setup();
    const [widget, gadget] = products;
    expectOk(await api.put(`/products/${widget.id}`, { price: 12.5 }), { price: 12.5 });
    const res = await api.put(`/crm/orders/${order.id}`, {
      items: [
        { product_id: gadget.id, quantity: 4 },
        { product_id: widget.id, quantity: 3 },
      ],
    });
    expect(res.status).toBe(200);
    const updated = res.body.data;
    expect(updated.total_amount).toBe(47.5);
    expect(updated.orderItems).toStrictEqual([
      {
        id: expect.stringMatching(UUID_RE),
        order_id: order.id,
        product_id: gadget.id,
        quantity: 4,
        unit_price: 2.5,
        total_amount: 10,
        product: productSummary(gadget),
      },
      {
        id: expect.stringMatching(UUID_RE),
        order_id: order.id,
        product_id: widget.id,
        quantity: 3,
        unit_price: 12.5,
        total_amount: 37.5,
        product: { ...productSummary(widget), price: 12.5 },
      },
    ]);
    const oldIds = order.orderItems.map((i: any) => i.id);
    for (const item of updated.orderItems) expect(oldIds).not.toContain(item.id);
    // Everything else is untouched.
    expect({ ...updated, orderItems: [], total_amount: 0, updatedAt: "" }).toStrictEqual({
      ...order,
      orderItems: [],
      total_amount: 0,
      updatedAt: "",
    });
    expect(await countRows("order_items", projectId, "AND order_id = ?", order.id)).toBe(2);
    expect((await getOrder(api, order.id)).body).toStrictEqual(res.body);
  });

  it("null clears optional text fields", async () => {
    const { api, order } = await setup();
    const cleared = await api.put(`/crm/orders/${order.id}`, { notes: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data).toMatchObject({
      notes: null,
      shipping_address: "1 Ship St",
      billing_address: "2 Bill St",
    });
    const both = await api.put(`/crm/orders/${order.id}`, { shipping_address: null, billing_address: null });
    expect(both.status).toBe(200);
    expect(both.body.data).toMatchObject({ notes: null, shipping_address: null, billing_address: null });
    expect((await getOrder(api, order.id)).body).toStrictEqual(both.body);
  });

  it("moves the order to another customer of the project", async () => {
    const { api, order } = await setup();
    const other = await createCustomer(api, { name: "Charles Babbage", email: null, company: "Difference Co" });
    const res = await api.put(`/crm/orders/${order.id}`, { customer_id: other.id });
    expect(res.status).toBe(200);
    expect(res.body.data.customer_id).toBe(other.id);
    expect(res.body.data.customer).toStrictEqual(customerSummary(other));
    expect(res.body.data.customer).toStrictEqual({
      id: other.id,
      name: "Charles Babbage",
      email: null,
      phone: null,
      company: "Difference Co",
    });
    expect((await getOrder(api, order.id)).body).toStrictEqual(res.body);
  });

  it("moves updatedAt (and the ETag) but never createdAt; order_date accepts an offset", async () => {
    const { api, order } = await setup();
    const before = await getOrder(api, order.id);
    await sleep(5);
    const res = await api.put(`/crm/orders/${order.id}`, { order_date: "2024-03-01T01:30:00+01:30" });
    expect(res.status).toBe(200);
    expect(res.body.data.order_date).toBe("2024-03-01T00:00:00.000Z");
    expect(res.body.data.createdAt).toBe(order.createdAt);
    expect(res.body.data.updatedAt).toMatch(ISO_MS);
    expect(Date.parse(res.body.data.updatedAt)).toBeGreaterThan(Date.parse(order.updatedAt));
    expect(res.headers.get("ETag")).not.toBe(before.etag);
    const after = await getOrder(api, order.id);
    expect(after.body).toStrictEqual(res.body);
    expect(after.etag).toBe(res.headers.get("ETag"));
  });
});

describe("delete", () => {
  it("answers 200 with the message, removes the order and its items; a second delete is a 404", async () => {
    const { api, projectId } = await newProject();
    const { customer, products } = await catalog(api, [1, 2]);
    const items = [
      { product_id: products[0].id, quantity: 1 },
      { product_id: products[1].id, quantity: 2 },
    ];
    const doomed = await createOrder(api, { customer_id: customer.id, items, notes: "doomed order" });
    const kept = await createOrder(api, { customer_id: customer.id, items, notes: "kept order" });
    expect(await countRows("order_items", projectId, "AND order_id = ?", doomed.id)).toBe(2);

    const res = await api.delete(`/crm/orders/${doomed.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ message: "Order deleted successfully" });

    const read = await api.get(`/crm/orders/${doomed.id}`);
    expect(read.status).toBe(404);
    expect(read.body).toStrictEqual({ message: "Order not found" });
    const again = await api.delete(`/crm/orders/${doomed.id}`);
    expect(again.status).toBe(404);
    expect(again.body).toStrictEqual({ message: "Order not found" });

    expect(await countRows("order_items", projectId, "AND order_id = ?", doomed.id)).toBe(0);
    expect(await countRows("orders", projectId, "AND id = ?", doomed.id)).toBe(0);
    const list = await api.get("/crm/orders");
    expect(list.status).toBe(200);
    expect(idsOf(list)).toEqual([kept.id]);
    expect(list.body.pagination).toStrictEqual({ total: 1, page: 1, limit: 10 });
    expect((await getOrder(api, kept.id)).body.data).toStrictEqual(kept);
    const searched = await api.get("/crm/orders?search=order");
    expect(searched.status).toBe(200);
    expect(searched.body).toStrictEqual({ data: [kept], pagination: { total: 1, page: 1, limit: 10 } });
    const doomedSearch = await api.get("/crm/orders?search=doomed");
    expect(doomedSearch.status).toBe(200);
    expect(doomedSearch.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });
});

describe("list", () => {
  it("answers {data, pagination} with page 1 and limit 10 by default; list items equal GET one", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [1]);
    const created = [];
    for (let day = 1; day <= 12; day++) {
      created.push(
        await createOrder(api, {
          customer_id: customer.id,
          items: [{ product_id: products[0].id, quantity: day }],
          order_date: `2024-01-${String(day).padStart(2, "0")}T10:00:00.000Z`,
        }),
      );
    }
    const newestFirst = [...created].reverse();

    const res = await api.get("/crm/orders");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["data", "pagination"]);
    expect(res.body.pagination).toStrictEqual({ total: 12, page: 1, limit: 10 });
    expect(res.body.data).toStrictEqual(newestFirst.slice(0, 10));
    for (const order of res.body.data) expect((await getOrder(api, order.id)).body.data).toStrictEqual(order);

    const second = await api.get("/crm/orders?page=2");
    expect(second.status).toBe(200);
    expect(second.body).toStrictEqual({
      data: newestFirst.slice(10),
      pagination: { total: 12, page: 2, limit: 10 },
    });

    const past = await api.get("/crm/orders?page=99&limit=5");
    expect(past.status).toBe(200);
    expect(past.body).toStrictEqual({ data: [], pagination: { total: 12, page: 99, limit: 5 } });

    const one = await api.get("/crm/orders?limit=1&page=12");
    expect(one.status).toBe(200);
    expect(one.body).toStrictEqual({ data: [created[0]], pagination: { total: 12, page: 12, limit: 1 } });
  });

  it("orders newest order_date first whatever the creation order", async () => {
    const { api } = await newProject();
    const { customer, products } = await catalog(api, [1]);
    const dates = ["2024-03-01T00:00:00.000Z", "2023-12-31T23:59:59.999Z", "2024-02-01T00:00:00.000Z"];
    const byDate = new Map<string, string>();
    for (const order_date of dates) {
      const order = await createOrder(api, {
        customer_id: customer.id,
        items: [{ product_id: products[0].id, quantity: 1 }],
        order_date,
      });
      byDate.set(order_date, order.id);
    }
    const res = await api.get("/crm/orders");
    expect(res.status).toBe(200);
    expect(idsOf(res)).toEqual(
      [...dates]
        .sort()
        .reverse()
        .map((d) => byDate.get(d)),
    );
  });

  it("pages through ties (same order_date, same createdAt) without overlap or skip", async () => {
    const { api, projectId } = await newProject();
    const { customer, products } = await catalog(api, [1]);
    const order_date = "2024-05-05T05:05:05.005Z";
    for (let i = 0; i < 25; i++) {
      await createOrder(api, {
        customer_id: customer.id,
        items: [{ product_id: products[0].id, quantity: 1 }],
        order_date,
      });
    }
    // Give groups of orders the very same created_at, so that only the id can order them.
    const ids = (
      await env.DB.prepare("SELECT id FROM orders WHERE project_id = ? ORDER BY created_at, id").bind(projectId).all()
    ).results.map((row) => row.id as string);
    const sameCreatedAt = [ids.slice(0, 10), ids.slice(10, 18)];
    for (const [group, createdAt] of [
      [sameCreatedAt[0], Date.parse("2024-06-01T00:00:00.000Z")],
      [sameCreatedAt[1], Date.parse("2024-06-02T00:00:00.000Z")],
    ] as const) {
      await env.DB.prepare(
        `UPDATE orders SET created_at = ? WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))`,
      )
        .bind(createdAt, projectId, JSON.stringify(group))
        .run();
    }

    const all = [];
    for (const id of ids) all.push((await getOrder(api, id)).body.data);
    const expected = all
      .sort(
        (a, b) =>
          Date.parse(b.order_date) - Date.parse(a.order_date) ||
          Date.parse(b.createdAt) - Date.parse(a.createdAt) ||
          (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      )
      .map((order) => order.id);

    const walked: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await api.get(`/crm/orders?limit=7&page=${page}`);
      expect(res.status).toBe(200);
      expect(res.body.pagination).toStrictEqual({ total: 25, page, limit: 7 });
      expect(res.body.data).toHaveLength(page < 4 ? 7 : 4);
      walked.push(...idsOf(res));
    }
    const end = await api.get("/crm/orders?limit=7&page=5");
    expect(end.status).toBe(200);
    expect(end.body).toStrictEqual({ data: [], pagination: { total: 25, page: 5, limit: 7 } });

    expect(new Set(walked).size).toBe(25);
    expect([...walked].sort()).toEqual([...ids].sort());
    expect(walked).toEqual(expected);
    const single = await api.get("/crm/orders?limit=100");
    expect(single.status).toBe(200);
    expect(idsOf(single)).toEqual(expected);
    // The same walk twice gives the same pages.
    const again = await api.get("/crm/orders?limit=7&page=2");
    expect(idsOf(again)).toEqual(walked.slice(7, 14));
  });

  describe("filters and search", () => {
    let api: Client;
    let c1: any;
    let c2: any;
    let p1: any;
    let p2: any;
    let p3: any;
    const o: Record<string, any> = {};
    const long = `${"Lorem ipsum dolor sit amet ".repeat(4)}${"0123456789abcdefghij".repeat(10)} tail of the note`;

    beforeAll(async () => {
      ({ api } = await newProject());
      c1 = await createCustomer(api, { name: "Alice" });
      c2 = await createCustomer(api, { name: "Bob" });
      p1 = await createProduct(api, { name: "P1", price: 10 });
      p2 = await createProduct(api, { name: "P2", price: 2.5 });
      p3 = await createProduct(api, { name: "P3", price: 99.99 });
      const specs: [string, any, [any, number][], string, Record<string, string | null>][] = [
        ["o1", c1, [[p1, 1]], "pending", { notes: "Fragile GLASS inside", shipping_address: "1 Main Street" }],
        [
          "o2",
          c1,
          [
            [p2, 2],
            [p3, 1],
          ],
          "processing",
          { shipping_address: "PO Box 7", billing_address: "5 Elm Road" },
        ],
        [
          "o3",
          c2,
          [
            [p1, 1],
            [p2, 1],
          ],
          "shipped",
          { notes: "100% cotton", shipping_address: "main street 3" },
        ],
        ["o4", c2, [[p3, 1]], "processing", { notes: "code a_b", billing_address: "C:\\dir\\file" }],
        [
          "o5",
          c1,
          [
            [p1, 1],
            [p1, 2],
          ],
          "cancelled",
          { notes: "50 percent off", shipping_address: "axb lane" },
        ],
        ["o6", c2, [[p2, 1]], "pending", { notes: long }],
        ["o7", c1, [[p3, 2]], "delivered", { shipping_address: "Rue de la Paix", billing_address: "MAIN STREET 9" }],
      ];
      for (const [index, [name, customer, lines, status, text]] of specs.entries()) {
        o[name] = await createOrder(api, {
          customer_id: customer.id,
          items: lines.map(([product, quantity]) => ({ product_id: product.id, quantity })),
          status,
          order_date: `2024-01-0${index + 1}T12:00:00.000Z`,
          ...text,
        });
      }
    });

    async function expectList(query: string, names: string[]) {
      const res = await api.get(`/crm/orders${query}`);
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(
        res.body.data.map((order: any) => Object.keys(o).find((name) => o[name].id === order.id)),
        query,
      ).toEqual(names);
      expect(res.body.pagination.total, query).toBe(names.length);
      // List entries are the full orders.
      for (const order of res.body.data) expect(order).toStrictEqual(o[names[res.body.data.indexOf(order)]!]);
      return res;
    }

    it("without filters lists everything, newest order_date first", async () => {
      await expectList("", ["o7", "o6", "o5", "o4", "o3", "o2", "o1"]);
    });

    it("filters by status", async () => {
      await expectList("?status=pending", ["o6", "o1"]);
      await expectList("?status=processing", ["o4", "o2"]);
      await expectList("?status=shipped", ["o3"]);
      await expectList("?status=delivered", ["o7"]);
      await expectList("?status=cancelled", ["o5"]);
    });

    it("filters by customer_id (any spelling of the UUID)", async () => {
      await expectList(`?customer_id=${c1.id}`, ["o7", "o5", "o2", "o1"]);
      await expectList(`?customer_id=${c2.id}`, ["o6", "o4", "o3"]);
      await expectList(`?customer_id=${c2.id.toUpperCase()}`, ["o6", "o4", "o3"]);
      await expectList(`?customer_id=${crypto.randomUUID()}`, []);
    });

    it("filters by product_id: orders with at least one line of it, each once", async () => {
      await expectList(`?product_id=${p1.id}`, ["o5", "o3", "o1"]);
      await expectList(`?product_id=${p2.id}`, ["o6", "o3", "o2"]);
      await expectList(`?product_id=${p3.id}`, ["o7", "o4", "o2"]);
      await expectList(`?product_id=${crypto.randomUUID()}`, []);
    });

    it("searches notes, billing and shipping addresses case-insensitively", async () => {
      await expectList("?search=glass", ["o1"]);
      await expectList("?search=gL", ["o1"]);
      await expectList("?search=MAIN%20street", ["o7", "o3", "o1"]);
      await expectList("?search=elm%20road", ["o2"]);
      await expectList("?search=po%20box", ["o2"]);
      await expectList("?search=cotton", ["o3"]);
      await expectList("?search=no%20such%20text", []);
    });

    it("treats %, _ and \\ as themselves", async () => {
      await expectList("?search=%25", ["o3"]);
      await expectList("?search=0%25", ["o3"]);
      await expectList("?search=100%25%20c", ["o3"]);
      await expectList("?search=_", ["o4"]);
      await expectList("?search=a_b", ["o4"]);
      await expectList("?search=%5C", ["o4"]);
      await expectList("?search=C%3A%5Cdir%5Cfile", ["o4"]);
      await expectList("?search=%25%25", []);
      await expectList("?search=x_b", []);
    });

    it("is case-insensitive beyond ASCII, for short and long terms alike; quotes match themselves", async () => {
      const { api: own } = await newProject();
      const { customer, products } = await catalog(own, [1]);
      const make = (notes: string) =>
        createOrder(own, { customer_id: customer.id, items: [{ product_id: products[0].id, quantity: 1 }], notes });
      const munich = await make("Lieferung nach MÜNCHEN");
      const school = await make("ÉCOLE Ärger");
      const quoted = await make('they say "hi" loudly');
      const expectFound = async (term: string, expected: any[]) => {
        const res = await own.get(`/crm/orders?search=${encodeURIComponent(term)}`);
        expect(res.status, term).toBe(200);
        expect(idsOf(res), term).toEqual(expected.map((order) => order.id));
        expect(res.body.pagination.total, term).toBe(expected.length);
      };
      for (const term of ["Ü", "ü", "ÜN", "üN", "ün", "münchen", "MÜNCHEN", "München"])
        await expectFound(term, [munich]);
      for (const term of ["É", "é", "éc", "ÄR", "är", "école", "ärger", "ÉCOLE ÄRGER"])
        await expectFound(term, [school]);
      for (const term of ['"', '"h', '"hi"', 'say "HI" loud']) await expectFound(term, [quoted]);
      await expectFound("ecole", []);
    });

    it("treats FTS query syntax in a search term as plain text", async () => {
      const { api: own } = await newProject();
      const { customer, products } = await catalog(own, [1]);
      const byNote: Record<string, string> = {};
      for (const notes of [
        "x AND y",
        "pre*fix",
        "NEAR(a b)",
        "col:on",
        "a -minus",
        "emoji 🎉 party",
        "日本語テキスト",
      ]) {
        byNote[notes] = (
          await createOrder(own, {
            customer_id: customer.id,
            items: [{ product_id: products[0].id, quantity: 1 }],
            notes,
          })
        ).id;
      }
      const cases: [string, string[]][] = [
        ["x AND y", ["x AND y"]],
        ["AND", ["x AND y"]],
        ["OR", []],
        ["NOT", []],
        ["pre*fix", ["pre*fix"]],
        ["re*", ["pre*fix"]],
        ["*", ["pre*fix"]],
        ["NEAR(a b)", ["NEAR(a b)"]],
        ["NEAR", ["NEAR(a b)"]],
        ["col:on", ["col:on"]],
        ["notes:", []],
        ["-minus", ["a -minus"]],
        ["🎉", ["emoji 🎉 party"]],
        ["🎉 PARTY", ["emoji 🎉 party"]],
        ["本語", ["日本語テキスト"]],
        ["日本語", ["日本語テキスト"]],
      ];
      for (const [term, notes] of cases) {
        const res = await own.get(`/crm/orders?search=${encodeURIComponent(term)}`);
        expect(res.status, term).toBe(200);
        expect(idsOf(res), term).toEqual(notes.map((n) => byNote[n]));
        expect(res.body.pagination.total, term).toBe(notes.length);
      }
    });

    it("trims the search term; an empty or blank term does not filter", async () => {
      await expectList("?search=%20%20glass%20%20", ["o1"]);
      await expectList("?search=", ["o7", "o6", "o5", "o4", "o3", "o2", "o1"]);
      await expectList("?search=%20%20%20", ["o7", "o6", "o5", "o4", "o3", "o2", "o1"]);
    });

    it("accepts a 200-character search term (D1's LIKE pattern limit does not apply) and refuses 201", async () => {
      const term = long.slice(30, 230);
      expect(term).toHaveLength(200);
      await expectList(`?search=${encodeURIComponent(term)}`, ["o6"]);
      await expectList(`?search=${encodeURIComponent(`${term.slice(0, 199)}!`)}`, []);
      const tooLong = await api.get(`/crm/orders?search=${encodeURIComponent(long.slice(30, 231))}`);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.message).toBe("Invalid request parameters");
    });

    it("combines filters with AND, with exact totals", async () => {
      await expectList(`?status=processing&customer_id=${c2.id}`, ["o4"]);
      await expectList(`?customer_id=${c1.id}&product_id=${p1.id}`, ["o5", "o1"]);
      await expectList("?search=main%20street&status=pending", ["o1"]);
      await expectList(`?search=main%20street&customer_id=${c2.id}`, ["o3"]);
      await expectList(`?product_id=${p3.id}&status=processing&customer_id=${c1.id}`, ["o2"]);
      await expectList(`?search=main&product_id=${p1.id}&customer_id=${c1.id}&status=pending`, ["o1"]);
      await expectList("?search=percent&status=pending", []);
      await expectList(`?status=delivered&product_id=${p1.id}`, []);
    });

    it("paginates a filtered list with its true total", async () => {
      const page2 = await api.get(`/crm/orders?customer_id=${c1.id}&limit=3&page=2`);
      expect(page2.status).toBe(200);
      expect(page2.body).toStrictEqual({ data: [o.o1], pagination: { total: 4, page: 2, limit: 3 } });
      const past = await api.get(`/crm/orders?search=main%20street&page=3&limit=2`);
      expect(past.status).toBe(200);
      expect(past.body).toStrictEqual({ data: [], pagination: { total: 3, page: 3, limit: 2 } });
      const status = await api.get("/crm/orders?status=processing&limit=1&page=2");
      expect(status.status).toBe(200);
      expect(status.body).toStrictEqual({ data: [o.o2], pagination: { total: 2, page: 2, limit: 1 } });
    });

    it("keeps totals exact after updates and deletes", async () => {
      const { api: own } = await newProject();
      const { customer, products } = await catalog(own, [1]);
      const make = (status: string) =>
        createOrder(own, { customer_id: customer.id, items: [{ product_id: products[0].id, quantity: 1 }], status });
      const a = await make("pending");
      const b = await make("pending");
      await make("shipped");
      const totals = async () => {
        const out: Record<string, number> = {};
        for (const q of [
          "",
          "?status=pending",
          "?status=shipped",
          "?status=cancelled",
          `?product_id=${products[0].id}`,
        ]) {
          const res = await own.get(`/crm/orders${q}`);
          expect(res.status).toBe(200);
          expect(res.body.data).toHaveLength(res.body.pagination.total);
          out[q || "all"] = res.body.pagination.total;
        }
        return out;
      };
      const all = `?product_id=${products[0].id}`;
      expect(await totals()).toEqual({
        all: 3,
        "?status=pending": 2,
        "?status=shipped": 1,
        "?status=cancelled": 0,
        [all]: 3,
      });
      expectOk(await own.put(`/crm/orders/${a.id}`, { status: "cancelled" }), { status: "cancelled" });
      expect(await totals()).toEqual({
        all: 3,
        "?status=pending": 1,
        "?status=shipped": 1,
        "?status=cancelled": 1,
        [all]: 3,
      });
      const deleted = await own.delete(`/crm/orders/${b.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toStrictEqual({ message: "Order deleted successfully" });
      expect(await totals()).toEqual({
        all: 2,
        "?status=pending": 0,
        "?status=shipped": 1,
        "?status=cancelled": 1,
        [all]: 2,
      });
      expectOk(await own.put(`/crm/orders/${a.id}`, { notes: "now searchable" }), { notes: "now searchable" });
      const found = await own.get("/crm/orders?search=SEARCHABLE");
      expect(found.status).toBe(200);
      expect(idsOf(found)).toEqual([a.id]);
      expectOk(await own.put(`/crm/orders/${a.id}`, { notes: null }), { notes: null });
      const gone = await own.get("/crm/orders?search=searchable");
      expect(gone.status).toBe(200);
      expect(gone.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
    });
  });
});

describe("the published curl examples, with real ids", () => {
  async function docsSetup() {
    const { api, projectId } = await newProject();
    const customer = await createCustomer(api, { name: "Docs Customer", email: "docs@example.com" });
    const first = await createProduct(api, { name: "First", price: 99.99, units_in_stock: 10 });
    const second = await createProduct(api, { name: "Second", price: 49.5, units_in_stock: 10 });
    // curl -X POST ".../v1/dev/crm/orders" -d '{ "customer_id": "uuid", "items": [ ... ], "status": "pending", ... }'
    const created = await api.post("/crm/orders", {
      customer_id: customer.id,
      items: [
        { product_id: first.id, quantity: 2 },
        { product_id: second.id, quantity: 1 },
      ],
      status: "pending",
      order_date: "2024-01-20T10:00:00.000Z",
      shipping_address: "123 Main St, City, State 12345",
      billing_address: "123 Main St, City, State 12345",
      notes: "Please handle with care",
    });
    return { api, projectId, customer, first, second, created };
  }

  it("Create order", async () => {
    const { created, customer, first, second } = await docsSetup();
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      customer_id: customer.id,
      total_amount: 249.48,
      status: "pending",
      order_date: "2024-01-20T10:00:00.000Z",
      shipping_address: "123 Main St, City, State 12345",
      billing_address: "123 Main St, City, State 12345",
      notes: "Please handle with care",
      orderItems: [
        { product_id: first.id, quantity: 2, unit_price: 99.99, total_amount: 199.98 },
        { product_id: second.id, quantity: 1, unit_price: 49.5, total_amount: 49.5 },
      ],
    });
  });

  it("Get order", async () => {
    const { api, created } = await docsSetup();
    const res = await api.get(`/crm/orders/${created.body.data.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(created.body);
  });

  it("List orders: ?page=1&limit=10, and the documented filter example", async () => {
    const { api, created, customer, first } = await docsSetup();
    const res = await api.get("/crm/orders?page=1&limit=10");
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ data: [created.body.data], pagination: { total: 1, page: 1, limit: 10 } });

    // ?page=1&limit=10&search=notes&status=pending&customer_id=uuid&product_id=uuid
    const noteless = await api.get(
      `/crm/orders?page=1&limit=10&search=notes&status=pending&customer_id=${customer.id}&product_id=${first.id}`,
    );
    expect(noteless.status).toBe(200);
    expect(noteless.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
    const handled = await api.get(
      `/crm/orders?page=1&limit=10&search=handle&status=pending&customer_id=${customer.id}&product_id=${first.id}`,
    );
    expect(handled.status).toBe(200);
    expect(handled.body).toStrictEqual({ data: [created.body.data], pagination: { total: 1, page: 1, limit: 10 } });
  });

  it("List orders: ?search=main%20street&status=processing&page=1&limit=20", async () => {
    const { api, customer, first } = await docsSetup();
    const make = (status: string, text: Record<string, string>, order_date: string) =>
      createOrder(api, {
        customer_id: customer.id,
        items: [{ product_id: first.id, quantity: 1 }],
        status,
        order_date,
        ...text,
      });
    const inShipping = await make("processing", { shipping_address: "456 Main Street" }, "2024-02-01T00:00:00.000Z");
    const inNotes = await make("processing", { notes: "deliver to MAIN STREET office" }, "2024-02-02T00:00:00.000Z");
    await make("pending", { billing_address: "1 Main Street" }, "2024-02-03T00:00:00.000Z");
    await make("processing", { shipping_address: "456 Oak Ave" }, "2024-02-04T00:00:00.000Z");
    const res = await api.get("/crm/orders?search=main%20street&status=processing&page=1&limit=20");
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ data: [inNotes, inShipping], pagination: { total: 2, page: 1, limit: 20 } });
  });

  it("Update order (the documented body)", async () => {
    const { api, created, first } = await docsSetup();
    const order = created.body.data;
    const res = await api.put(`/crm/orders/${order.id}`, {
      items: [{ product_id: first.id, quantity: 3 }],
      status: "processing",
      shipping_address: "456 Oak Ave, City, State 67890",
      notes: "Updated notes",
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toStrictEqual({
      ...order,
      total_amount: 299.97,
      status: "processing",
      shipping_address: "456 Oak Ave, City, State 67890",
      billing_address: "123 Main St, City, State 12345",
      notes: "Updated notes",
      updatedAt: expect.stringMatching(ISO_MS),
      orderItems: [
        {
          id: expect.stringMatching(UUID_RE),
          order_id: order.id,
          product_id: first.id,
          quantity: 3,
          unit_price: 99.99,
          total_amount: 299.97,
          product: productSummary(first),
        },
      ],
    });
    expect((await getOrder(api, order.id)).body).toStrictEqual(res.body);
  });

  it("Delete order", async () => {
    const { api, created, projectId } = await docsSetup();
    const res = await api.delete(`/crm/orders/${created.body.data.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ message: "Order deleted successfully" });
    expect(await countRows("orders", projectId)).toBe(0);
    expect(await countRows("order_items", projectId)).toBe(0);
  });
});

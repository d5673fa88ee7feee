import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createProduct, newProject } from "./support/api";
import { CountingD1, type CountingSummary } from "./support/counting-db";
import { catalog, createOrder, missingId } from "./support/orders";

// D1 round trips per request, counted with a wrapper around env.DB (through withSession, as the app uses it).
// Issue 3: GET one 1; list 1 whatever the limit; create at most 2 (the code does exactly 2: one read batch,
// one write batch); update at most 2 (exactly 2); delete 1. D1 allows 100 bound parameters per statement.

const D1_MAX_PARAMS = 100;
const measured: Record<string, CountingSummary> = {};

let key: string;
let customer: any;
let products: any[];
let orderIds: string[];

async function measure(label: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const counting = new CountingD1(env.DB, { meterRaw: true });
  const res = await call(method, path, { key, body, headers, env: { ...env, DB: counting.db } });
  const cost = counting.summary();
  measured[label] = cost;
  expect(
    cost.maxBoundParams,
    `${label}: ${JSON.stringify(counting.calls.map((c) => c.statements.length))}`,
  ).toBeLessThan(D1_MAX_PARAMS);
  for (const c of counting.calls) expect(c.via, label).toBe("session");
  return { res, cost, counting };
}

beforeAll(async () => {
  const project = await newProject();
  key = project.key;
  ({ customer, products } = await catalog(project.api, [1, 2.5, 99.99]));
  orderIds = [];
  for (let i = 0; i < 120; i++) {
    const order = await createOrder(project.api, {
      customer_id: customer.id,
      items: [
        { product_id: products[i % 3].id, quantity: 1 + (i % 4) },
        { product_id: products[(i + 1) % 3].id, quantity: 1 },
      ],
      status: i % 2 ? "pending" : "processing",
      notes: `order number ${i}`,
      order_date: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    });
    orderIds.push(order.id);
  }
}, 60_000);

afterAll(() => {
  // The measured costs, for the record (the assertions are in the tests).
  console.log(
    JSON.stringify(
      Object.fromEntries(
        Object.entries(measured).map(([label, c]) => [
          label,
          `${c.roundTrips} round trip(s) [${c.methods.join(",")}], ${c.statements} statements, max ${c.maxBoundParams} params, rows_read ${c.rowsRead}, rows_written ${c.rowsWritten}`,
        ]),
      ),
      null,
      1,
    ),
  );
});

describe("reads", () => {
  it("GET one order: 1 round trip, 1 statement", async () => {
    const { res, cost } = await measure("GET /crm/orders/:id", "GET", `/crm/orders/${orderIds[7]}`);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(orderIds[7]);
    expect(res.body.data.orderItems).toHaveLength(2);
    expect(cost.roundTrips).toBe(1);
    expect(cost.statements).toBe(1);
  });

  it("GET one order reads about as many rows in a project of 120 orders as in a project of 1", async () => {
    const small = await newProject();
    const { customer: c, products: p } = await catalog(small.api, [1, 2.5]);
    const lone = await createOrder(small.api, {
      customer_id: c.id,
      items: [
        { product_id: p[0].id, quantity: 1 },
        { product_id: p[1].id, quantity: 1 },
      ],
    });
    const big = await measure("GET one (120 orders)", "GET", `/crm/orders/${orderIds[3]}`);
    const counting = new CountingD1(env.DB, { meterRaw: true });
    const tiny = await call("GET", `/crm/orders/${lone.id}`, { key: small.key, env: { ...env, DB: counting.db } });
    expect(big.res.status).toBe(200);
    expect(tiny.status).toBe(200);
    expect(counting.unmeteredCalls).toBe(0);
    expect(big.cost.unmeteredCalls).toBe(0);
    // rows_read counts B-tree steps, so a neighbouring row may add one; what matters is that 120 orders in the
    // project cost nothing more than 1 (an index lookup, not a scan).
    expect(big.cost.rowsRead).toBeLessThanOrEqual(counting.rowsRead + 2);
    expect(big.cost.rowsRead).toBeLessThan(20);
  });

  it("GET of a missing order: 1 round trip; of a malformed id: none", async () => {
    const missing = await measure("GET one missing", "GET", `/crm/orders/${missingId()}`);
    expect(missing.res.status).toBe(404);
    expect(missing.res.body).toStrictEqual({ message: "Order not found" });
    expect(missing.cost.roundTrips).toBe(1);
    const malformed = await measure("GET one malformed id", "GET", "/crm/orders/not-a-uuid");
    expect(malformed.res.status).toBe(404);
    expect(malformed.res.body).toStrictEqual({ message: "Order not found" });
    expect(malformed.cost.roundTrips).toBe(0);
  });

  it("list: 1 round trip whatever the limit, page or filter", async () => {
    const queries: [string, number, number][] = [
      // [query, expected page length, expected total]
      ["", 10, 120],
      ["?limit=1", 1, 120],
      ["?limit=100", 100, 120],
      ["?limit=100&page=2", 20, 120],
      ["?page=50", 0, 120],
      ["?status=pending&limit=100", 60, 60],
      [`?customer_id=${customer.id}&limit=100`, 100, 120],
      [`?product_id=${products[0].id}&limit=100`, 80, 80],
      ["?search=number&limit=100", 100, 120],
      ["?search=number%2011&limit=100", 11, 11],
      ["?search=r%20&limit=1", 1, 120],
      [`?search=order&status=processing&customer_id=${customer.id}&product_id=${products[1].id}&limit=100`, 40, 40],
    ];
    for (const [query, length, total] of queries) {
      const { res, cost } = await measure(`GET /crm/orders${query}`, "GET", `/crm/orders${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body.data, query).toHaveLength(length);
      expect(res.body.pagination.total, query).toBe(total);
      expect(cost.roundTrips, query).toBe(1);
      expect(cost.methods, query).toEqual(["batch"]);
    }
  });

  it("list with bad parameters: no round trip at all", async () => {
    const { res, cost } = await measure("GET /crm/orders?limit=0", "GET", "/crm/orders?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("Invalid request parameters");
    expect(cost.roundTrips).toBe(0);
  });
});

describe("writes", () => {
  it("create: exactly 2 round trips (one read batch, one write batch)", async () => {
    const { res, cost, counting } = await measure("POST /crm/orders (2 items)", "POST", "/crm/orders", {
      customer_id: customer.id,
      items: [
        { product_id: products[0].id, quantity: 1 },
        { product_id: products[2].id, quantity: 3 },
      ],
    });
    expect(res.status).toBe(201);
    expect(cost.roundTrips).toBe(2);
    expect(cost.methods).toEqual(["batch", "batch"]);
    // The first batch only reads; the second writes the order and its items together.
    expect(counting.calls[0]!.statements.every((s) => /^select/i.test(s.sql))).toBe(true);
    expect(counting.calls[0]!.rowsWritten).toBe(0);
    const writes = counting.calls[1]!.statements.map((s) => s.sql);
    expect(writes.some((sql) => /^insert into "orders"/i.test(sql))).toBe(true);
    expect(writes.some((sql) => /^insert into "order_items"/i.test(sql))).toBe(true);
  });

  it("create with 100 items: 201 with 100 lines, 2 round trips, under 100 bound parameters per statement", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ product_id: products[i % 3].id, quantity: i + 1 }));
    const { res, cost } = await measure("POST /crm/orders (100 items)", "POST", "/crm/orders", {
      customer_id: customer.id,
      items,
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(res.body.data.orderItems).toHaveLength(100);
    expect(res.body.data.orderItems.map((i: any) => i.quantity)).toEqual(items.map((i) => i.quantity));
    expect(cost.roundTrips).toBe(2);
    expect(cost.maxBoundParams).toBeLessThan(D1_MAX_PARAMS);
    const read = await call("GET", `/crm/orders/${res.body.data.id}`, { key });
    expect(read.body).toStrictEqual(res.body);
  });

  it("create with 100 distinct products: still 2 round trips; GET reads it back in 1", async () => {
    const other = await newProject();
    const { customer: buyer } = await catalog(other.api, []);
    const many = [];
    for (let i = 0; i < 100; i++)
      many.push(await createProduct(other.api, { name: `Item ${i}`, price: (i + 1) / 100 }));
    const counting = new CountingD1(env.DB);
    const items = many.map((product, i) => ({ product_id: product.id, quantity: 100 - i }));
    const res = await call("POST", "/crm/orders", {
      key: other.key,
      body: { customer_id: buyer.id, items },
      env: { ...env, DB: counting.db },
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(counting.roundTrips).toBe(2);
    expect(counting.maxBoundParams).toBeLessThan(D1_MAX_PARAMS);
    expect(res.body.data.orderItems.map((i: any) => i.product.id)).toEqual(many.map((p) => p.id));
    // sum of (i + 1) cents x (100 - i) for i in 0..99 = 171,700 cents
    expect(res.body.data.total_amount).toBe(1717);
    counting.reset();
    const read = await call("GET", `/crm/orders/${res.body.data.id}`, {
      key: other.key,
      env: { ...env, DB: counting.db },
    });
    expect(read.status).toBe(200);
    expect(read.body).toStrictEqual(res.body);
    expect(counting.roundTrips).toBe(1);
  });

  it("create with an Idempotency-Key: one more round trip to claim the key", async () => {
    const body = { customer_id: customer.id, items: [{ product_id: products[1].id, quantity: 1 }] };
    const idempotencyKey = `rt-${missingId()}`;
    const first = await measure("POST /crm/orders with Idempotency-Key", "POST", "/crm/orders", body, {
      "Idempotency-Key": idempotencyKey,
    });
    expect(first.res.status).toBe(201);
    expect(first.cost.roundTrips).toBe(3);
    const replay = await measure("POST /crm/orders replayed", "POST", "/crm/orders", body, {
      "Idempotency-Key": idempotencyKey,
    });
    expect(replay.res.status).toBe(201);
    expect(replay.res.body).toStrictEqual(first.res.body);
    expect(replay.cost.roundTrips).toBe(1);
  });

  it("create that fails: validation costs nothing, an unknown customer or product one read", async () => {
    const invalid = await measure("POST invalid body", "POST", "/crm/orders", { customer_id: customer.id, items: [] });
    expect(invalid.res.status).toBe(400);
    expect(invalid.cost.roundTrips).toBe(0);
    const unknownCustomer = await measure("POST unknown customer", "POST", "/crm/orders", {
      customer_id: missingId(),
      items: [{ product_id: products[0].id, quantity: 1 }],
    });
    expect(unknownCustomer.res.status).toBe(404);
    expect(unknownCustomer.cost.roundTrips).toBe(1);
    expect(unknownCustomer.cost.rowsWritten).toBe(0);
    const unknownProduct = await measure("POST unknown product", "POST", "/crm/orders", {
      customer_id: customer.id,
      items: [{ product_id: missingId(), quantity: 1 }],
    });
    expect(unknownProduct.res.status).toBe(404);
    expect(unknownProduct.cost.roundTrips).toBe(1);
  });

  it("update: exactly 2 round trips, with or without items (100 items included)", async () => {
    const id = orderIds[10]!;
    const fields = await measure("PUT fields only", "PUT", `/crm/orders/${id}`, { notes: "new", status: "shipped" });
    expect(fields.res.status).toBe(200);
    expect(fields.cost.roundTrips).toBe(2);
    expect(fields.cost.methods).toEqual(["batch", "batch"]);

    const withItems = await measure("PUT with 2 items", "PUT", `/crm/orders/${id}`, {
      items: [
        { product_id: products[2].id, quantity: 2 },
        { product_id: products[0].id, quantity: 1 },
      ],
    });
    expect(withItems.res.status).toBe(200);
    expect(withItems.res.body.data.total_amount).toBe(200.98);
    expect(withItems.cost.roundTrips).toBe(2);

    const items = Array.from({ length: 100 }, (_, i) => ({ product_id: products[i % 3].id, quantity: 1 }));
    const hundred = await measure("PUT with 100 items", "PUT", `/crm/orders/${id}`, { items });
    expect(hundred.res.status).toBe(200);
    expect(hundred.res.body.data.orderItems).toHaveLength(100);
    expect(hundred.cost.roundTrips).toBe(2);
    expect(hundred.cost.maxBoundParams).toBeLessThan(D1_MAX_PARAMS);
  });

  it("update that fails: validation costs nothing, a lookup failure one read and no write", async () => {
    const id = orderIds[11]!;
    const invalid = await measure("PUT invalid body", "PUT", `/crm/orders/${id}`, {});
    expect(invalid.res.status).toBe(400);
    expect(invalid.cost.roundTrips).toBe(0);
    const unknownOrder = await measure("PUT unknown order", "PUT", `/crm/orders/${missingId()}`, { notes: "x" });
    expect(unknownOrder.res.status).toBe(404);
    expect(unknownOrder.cost.roundTrips).toBe(1);
    const unknownCustomer = await measure("PUT unknown customer", "PUT", `/crm/orders/${id}`, {
      customer_id: missingId(),
    });
    expect(unknownCustomer.res.status).toBe(404);
    expect(unknownCustomer.cost.roundTrips).toBe(1);
    expect(unknownCustomer.cost.rowsWritten).toBe(0);
  });

  it("delete: 1 round trip (found or not)", async () => {
    const deleted = await measure("DELETE /crm/orders/:id", "DELETE", `/crm/orders/${orderIds[12]}`);
    expect(deleted.res.status).toBe(200);
    expect(deleted.res.body).toStrictEqual({ message: "Order deleted successfully" });
    expect(deleted.cost.roundTrips).toBe(1);
    expect(deleted.cost.methods).toEqual(["batch"]);
    const again = await measure("DELETE missing", "DELETE", `/crm/orders/${orderIds[12]}`);
    expect(again.res.status).toBe(404);
    expect(again.cost.roundTrips).toBe(1);
  });
});

describe("the counting wrapper itself", () => {
  it("counts each call that reaches D1, its statements, bound parameters and rows", async () => {
    const counting = new CountingD1(env.DB);
    const db = counting.db;
    await db.prepare("SELECT 1 AS one").first();
    await db.prepare("SELECT ? AS a, ? AS b").bind(1, 2).all();
    const session = db.withSession("first-unconstrained");
    await session.batch([session.prepare("SELECT 1"), session.prepare("SELECT ?, ?, ?").bind(1, 2, 3)]);
    await session.prepare("SELECT 2").raw();
    expect(counting.roundTrips).toBe(4);
    expect(counting.statements).toBe(5);
    expect(counting.maxBoundParams).toBe(3);
    expect(counting.methods).toEqual(["first", "all", "batch", "raw"]);
    expect(counting.calls.map((c) => c.via)).toEqual(["db", "db", "session", "session"]);
    expect(counting.sql).toEqual([
      "SELECT 1 AS one",
      "SELECT ? AS a, ? AS b",
      "SELECT 1",
      "SELECT ?, ?, ?",
      "SELECT 2",
    ]);
    expect(counting.unmeteredCalls).toBe(2);
    await expect(db.prepare("SELECT * FROM no_such_table").all()).rejects.toThrow();
    expect(counting.roundTrips).toBe(5);
    expect(counting.calls.at(-1)?.error).toMatch(/no such table/);
    counting.reset();
    expect(counting.summary()).toEqual({
      roundTrips: 0,
      statements: 0,
      maxBoundParams: 0,
      rowsRead: 0,
      rowsWritten: 0,
      unmeteredCalls: 0,
      methods: [],
    });
  });

  it("meterRaw returns the same rows as raw() and reports rows_read", async () => {
    const plain = await env.DB.prepare("SELECT ? AS a, 'x' AS b UNION ALL SELECT 3, 'y'").bind(1).raw();
    const counting = new CountingD1(env.DB, { meterRaw: true });
    const metered = await counting.db.prepare("SELECT ? AS a, 'x' AS b UNION ALL SELECT 3, 'y'").bind(1).raw();
    expect(metered).toEqual(plain);
    expect(counting.unmeteredCalls).toBe(0);
    expect(counting.roundTrips).toBe(1);
  });
});

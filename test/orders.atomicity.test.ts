import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newProject } from "./support/api";
import { type BatchRewrite, CountingD1, FAILING_SQL, failBatchWhen, type StatementRecord } from "./support/counting-db";
import { catalog, countRows, createOrder, getOrder } from "./support/orders";

// Every order write is one D1 batch, so a failure inside it must leave nothing behind: we make the real write
// batch fail inside D1 (after its statements ran, or in place of one of them) and check that the API answers
// a plain 500 and that the database holds exactly what it held before.

const writes = (sqlPattern: RegExp) => (statements: readonly StatementRecord[]) =>
  statements.some((s) => sqlPattern.test(s.sql));
const INSERT_ITEMS = /^insert into "order_items"/i;
const UPDATE_ORDER = /^update "orders"/i;
const DELETE_ORDER = /^delete from "orders"/i;

async function setup() {
  const project = await newProject();
  const { customer, products } = await catalog(project.api, [3.5, 10]);
  const body = {
    customer_id: customer.id,
    items: [
      { product_id: products[0].id, quantity: 2 },
      { product_id: products[1].id, quantity: 1 },
    ],
    notes: "original",
  };
  const send = (rewrite: BatchRewrite, method: string, path: string, payload?: unknown) => {
    const counting = new CountingD1(env.DB, { rewriteBatch: rewrite });
    return call(method, path, { key: project.key, body: payload, env: { ...env, DB: counting.db } }).then((res) => ({
      res,
      counting,
    }));
  };
  return { ...project, customer, products, body, send };
}

function expectPlain500(res: { status: number; body: any }) {
  expect(res.status).toBe(500);
  expect(res.body.message).toBe("Something went wrong");
  const text = JSON.stringify(res.body);
  for (const leak of ["no_such_table", "SQL", "D1_ERROR", "insert", "orders", "stack", "    at "]) {
    expect(text).not.toContain(leak);
  }
}

async function snapshot(projectId: string) {
  const orders = await env.DB.prepare("SELECT * FROM orders WHERE project_id = ? ORDER BY id").bind(projectId).all();
  const items = await env.DB.prepare("SELECT * FROM order_items WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all();
  return JSON.stringify({ orders: orders.results, items: items.results });
}

describe("create", () => {
  for (const how of ["append", "replace-last"] as const) {
    it(`leaves no order and no items when the write batch fails inside D1 (${how})`, async () => {
      const { api, projectId, body, send } = await setup();
      const existing = await createOrder(api, body);
      const before = await snapshot(projectId);

      const { res, counting } = await send(failBatchWhen(writes(INSERT_ITEMS), how), "POST", "/crm/orders", body);
      expectPlain500(res);
      // The failure really happened inside the write batch, which D1 received with its order insert.
      const failed = counting.calls.find((c) => c.error);
      expect(failed?.method).toBe("batch");
      expect(failed?.statements.map((s) => s.sql)).toContain(FAILING_SQL);
      expect(failed?.statements.some((s) => /^insert into "orders"/i.test(s.sql))).toBe(true);
      if (how === "append") expect(failed?.statements.some((s) => INSERT_ITEMS.test(s.sql))).toBe(true);

      expect(await snapshot(projectId)).toBe(before);
      expect(await countRows("orders", projectId)).toBe(1);
      expect(await countRows("order_items", projectId)).toBe(2);
      const orphans = await env.DB.prepare(
        "SELECT count(*) AS n FROM order_items i WHERE i.project_id = ? AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.project_id = i.project_id AND o.id = i.order_id)",
      )
        .bind(projectId)
        .first<{ n: number }>();
      expect(orphans?.n).toBe(0);
      const list = await api.get("/crm/orders");
      expect(list.status).toBe(200);
      expect(list.body).toStrictEqual({ data: [existing], pagination: { total: 1, page: 1, limit: 10 } });
      const search = await api.get("/crm/orders?search=original");
      expect(search.status).toBe(200);
      expect(search.body).toStrictEqual({ data: [existing], pagination: { total: 1, page: 1, limit: 10 } });
    });
  }

  it("leaves nothing when the write batch throws before reaching D1", async () => {
    const { api, projectId, body, send } = await setup();
    const before = await snapshot(projectId);
    const { res } = await send(
      (statements) => {
        if (writes(INSERT_ITEMS)(statements)) throw new Error("network down");
        return undefined;
      },
      "POST",
      "/crm/orders",
      body,
    );
    expectPlain500(res);
    expect(await snapshot(projectId)).toBe(before);
    const list = await api.get("/crm/orders");
    expect(list.status).toBe(200);
    expect(list.body).toStrictEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });

  it("works again once the failure is gone", async () => {
    const { api, body, send } = await setup();
    const { res } = await send(() => undefined, "POST", "/crm/orders", body);
    expect(res.status).toBe(201);
    expect((await getOrder(api, res.body.data.id)).body).toStrictEqual(res.body);
  });
});

describe("update", () => {
  for (const how of ["append", "replace-last"] as const) {
    it(`keeps the previous items, total and fields when the write batch fails (${how})`, async () => {
      const { api, projectId, body, products, send } = await setup();
      const order = await createOrder(api, body);
      const before = await getOrder(api, order.id);
      const rows = await snapshot(projectId);

      const { res, counting } = await send(failBatchWhen(writes(UPDATE_ORDER), how), "PUT", `/crm/orders/${order.id}`, {
        items: [{ product_id: products[1].id, quantity: 9 }],
        status: "cancelled",
        notes: "changed",
      });
      expectPlain500(res);
      const failed = counting.calls.find((c) => c.error);
      expect(failed?.statements.some((s) => UPDATE_ORDER.test(s.sql))).toBe(true);
      if (how === "append") {
        expect(failed?.statements.some((s) => /^delete from "order_items"/i.test(s.sql))).toBe(true);
        expect(failed?.statements.some((s) => INSERT_ITEMS.test(s.sql))).toBe(true);
      }

      const after = await getOrder(api, order.id);
      expect(after.text).toBe(before.text);
      expect(after.etag).toBe(before.etag);
      expect(after.body.data.total_amount).toBe(17);
      expect(after.body.data.orderItems.map((i: any) => [i.product_id, i.quantity])).toEqual([
        [products[0].id, 2],
        [products[1].id, 1],
      ]);
      expect(await snapshot(projectId)).toBe(rows);
      const empty = { data: [], pagination: { total: 0, page: 1, limit: 10 } };
      const counts = await api.get("/crm/orders?status=cancelled");
      expect(counts.status).toBe(200);
      expect(counts.body).toStrictEqual(empty);
      const search = await api.get("/crm/orders?search=changed");
      expect(search.status).toBe(200);
      expect(search.body).toStrictEqual(empty);
    });
  }

  it("keeps everything when a fields-only update's batch fails", async () => {
    const { api, projectId, body, send } = await setup();
    const order = await createOrder(api, body);
    const before = await getOrder(api, order.id);
    const rows = await snapshot(projectId);
    const { res } = await send(failBatchWhen(writes(UPDATE_ORDER)), "PUT", `/crm/orders/${order.id}`, {
      status: "shipped",
      shipping_address: "elsewhere",
    });
    expectPlain500(res);
    expect((await getOrder(api, order.id)).text).toBe(before.text);
    expect(await snapshot(projectId)).toBe(rows);
  });
});

describe("delete", () => {
  it("keeps the order and its items when the delete batch fails", async () => {
    const { api, projectId, body, send } = await setup();
    const order = await createOrder(api, body);
    const before = await getOrder(api, order.id);
    const rows = await snapshot(projectId);
    const { res } = await send(failBatchWhen(writes(DELETE_ORDER)), "DELETE", `/crm/orders/${order.id}`);
    expectPlain500(res);
    expect((await getOrder(api, order.id)).text).toBe(before.text);
    expect(await snapshot(projectId)).toBe(rows);
    const list = await api.get("/crm/orders");
    expect(list.status).toBe(200);
    expect(list.body).toStrictEqual({ data: [before.body.data], pagination: { total: 1, page: 1, limit: 10 } });
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

// The schema itself refuses what the application must never write, whatever code runs against it.
// Everything here goes through raw SQL on the D1 binding, bypassing the API and drizzle.

const now = Date.now();
const FK = /FOREIGN KEY constraint failed/;
const CHECK = /CHECK constraint failed/;

function insertCustomer(projectId: string, id = crypto.randomUUID()) {
  return env.DB.prepare(
    "INSERT INTO customers (project_id, id, name, etag, created_at, updated_at) VALUES (?, ?, 'C', 'e', ?, ?)",
  ).bind(projectId, id, now, now);
}

function insertProduct(projectId: string, id = crypto.randomUUID(), priceCents: number = 1000) {
  return env.DB.prepare(
    "INSERT INTO products (project_id, id, name, price_cents, units_in_stock, status, etag, created_at, updated_at) VALUES (?, ?, 'P', ?, 1, 'active', 'e', ?, ?)",
  ).bind(projectId, id, priceCents, now, now);
}

function insertOrder(projectId: string, customerId: string, id = crypto.randomUUID(), totalCents: number = 1000) {
  return env.DB.prepare(
    "INSERT INTO orders (project_id, id, customer_id, status, order_date, total_cents, etag, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, 'e', ?, ?)",
  ).bind(projectId, id, customerId, now, totalCents, now, now);
}

function insertItem(
  projectId: string,
  orderId: string,
  productId: string,
  { quantity = 1, unit = 1000, total = unit * quantity }: { quantity?: number; unit?: number; total?: number } = {},
) {
  return env.DB.prepare(
    "INSERT INTO order_items (project_id, id, order_id, product_id, position, quantity, unit_price_cents, total_cents) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
  ).bind(projectId, crypto.randomUUID(), orderId, productId, quantity, unit, total);
}

/** A project with one customer, one product and one order of that product. */
async function seeded() {
  const projectId = crypto.randomUUID();
  const customerId = crypto.randomUUID();
  const productId = crypto.randomUUID();
  const orderId = crypto.randomUUID();
  await env.DB.batch([
    insertCustomer(projectId, customerId),
    insertProduct(projectId, productId),
    insertOrder(projectId, customerId, orderId),
    insertItem(projectId, orderId, productId),
  ]);
  return { projectId, customerId, productId, orderId };
}

const count = async (sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n;

describe("migrations", () => {
  it("the test harness has migrations to apply", () => {
    expect(Array.isArray(env.TEST_MIGRATIONS)).toBe(true);
    expect(env.TEST_MIGRATIONS.length).toBeGreaterThan(0);
    expect(env.TEST_MIGRATIONS[0]!.name).toMatch(/^0000_/);
    expect(env.TEST_MIGRATIONS.every((m) => m.queries.length > 0)).toBe(true);
  });

  it("the tables exist", async () => {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{
      name: string;
    }>();
    const names = results.map((row) => row.name);
    for (const table of ["customers", "products", "product_images", "orders", "order_items"]) {
      expect(names).toContain(table);
    }
  });

  it("foreign keys are enforced", async () => {
    const row = await env.DB.prepare("PRAGMA foreign_keys").first<{ foreign_keys: number }>();
    expect(row?.foreign_keys).toBe(1);
  });
});

describe("composite foreign keys make cross-project references impossible", () => {
  it("an order cannot point at a customer of another project", async () => {
    const projectA = crypto.randomUUID();
    const projectB = crypto.randomUUID();
    const customerA = crypto.randomUUID();
    await insertCustomer(projectA, customerA).run();

    await expect(insertOrder(projectB, customerA).run()).rejects.toThrow(FK);
    expect(await count("SELECT count(*) AS n FROM orders WHERE project_id = ?", projectB)).toBe(0);

    // Control: the same row in the customer's own project is accepted.
    await insertOrder(projectA, customerA).run();
    expect(await count("SELECT count(*) AS n FROM orders WHERE project_id = ?", projectA)).toBe(1);
  });

  it("an order cannot point at a customer that does not exist", async () => {
    await expect(insertOrder(crypto.randomUUID(), crypto.randomUUID()).run()).rejects.toThrow(FK);
  });

  it("an order item cannot point at a product of another project", async () => {
    const { projectId: projectA, productId: productA } = await seeded();
    const { projectId: projectB, orderId: orderB } = await seeded();
    const before = await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectB);

    await expect(insertItem(projectB, orderB, productA).run()).rejects.toThrow(FK);
    expect(await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectB)).toBe(before);

    // Control: a product of the order's own project is accepted.
    const productB = crypto.randomUUID();
    await insertProduct(projectB, productB).run();
    await insertItem(projectB, orderB, productB).run();
    expect(await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectB)).toBe(before + 1);
    expect(projectA).not.toBe(projectB);
  });

  it("an order item cannot point at an order of another project", async () => {
    const { orderId: orderA } = await seeded();
    const { projectId: projectB, productId: productB } = await seeded();
    await expect(insertItem(projectB, orderA, productB).run()).rejects.toThrow(FK);
  });

  it("a product image cannot point at a product of another project", async () => {
    const { productId: productA } = await seeded();
    const projectB = crypto.randomUUID();
    const insertImage = (projectId: string, productId: string) =>
      env.DB.prepare(
        "INSERT INTO product_images (project_id, id, product_id, position, url) VALUES (?, ?, ?, 0, 'https://x.example/a.png')",
      ).bind(projectId, crypto.randomUUID(), productId);
    await expect(insertImage(projectB, productA).run()).rejects.toThrow(FK);
  });

  it("a customer or product that an order refers to cannot be deleted", async () => {
    const { projectId, customerId, productId } = await seeded();
    await expect(
      env.DB.prepare("DELETE FROM customers WHERE project_id = ? AND id = ?").bind(projectId, customerId).run(),
    ).rejects.toThrow(FK);
    await expect(
      env.DB.prepare("DELETE FROM products WHERE project_id = ? AND id = ?").bind(projectId, productId).run(),
    ).rejects.toThrow(FK);
    expect(await count("SELECT count(*) AS n FROM customers WHERE project_id = ?", projectId)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM products WHERE project_id = ?", projectId)).toBe(1);
  });
});

describe("money is integer cents", () => {
  it("products.price_cents refuses 19.99, a negative amount and text", async () => {
    const projectId = crypto.randomUUID();
    for (const bad of [19.99, 1999.5, -1]) {
      await expect(insertProduct(projectId, crypto.randomUUID(), bad).run()).rejects.toThrow(CHECK);
    }
    await expect(
      env.DB.prepare(
        "INSERT INTO products (project_id, id, name, price_cents, units_in_stock, status, etag, created_at, updated_at) VALUES (?, ?, 'P', '19.99', 1, 'active', 'e', ?, ?)",
      )
        .bind(projectId, crypto.randomUUID(), now, now)
        .run(),
    ).rejects.toThrow(CHECK);
    expect(await count("SELECT count(*) AS n FROM products WHERE project_id = ?", projectId)).toBe(0);

    // Control: 1999 cents is fine.
    await insertProduct(projectId, crypto.randomUUID(), 1999).run();
    const row = await env.DB.prepare("SELECT price_cents, typeof(price_cents) AS t FROM products WHERE project_id = ?")
      .bind(projectId)
      .first<{ price_cents: number; t: string }>();
    expect(row).toEqual({ price_cents: 1999, t: "integer" });
  });

  it("orders.total_cents refuses a fraction", async () => {
    const projectId = crypto.randomUUID();
    const customerId = crypto.randomUUID();
    await insertCustomer(projectId, customerId).run();
    await expect(insertOrder(projectId, customerId, crypto.randomUUID(), 19.99).run()).rejects.toThrow(CHECK);
    await insertOrder(projectId, customerId, crypto.randomUUID(), 1999).run();
    expect(await count("SELECT count(*) AS n FROM orders WHERE project_id = ?", projectId)).toBe(1);
  });

  it("order_items refuse fractional cents, a zero quantity and a line total that is not unit x quantity", async () => {
    const { projectId, orderId, productId } = await seeded();
    const before = await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectId);
    for (const bad of [
      { unit: 19.99, quantity: 1, total: 19.99 },
      { unit: 1999, quantity: 0, total: 0 },
      { unit: 1999, quantity: 1.5, total: 2998.5 },
      { unit: 1999, quantity: 3, total: 5998 },
    ]) {
      await expect(insertItem(projectId, orderId, productId, bad).run()).rejects.toThrow(CHECK);
    }
    expect(await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectId)).toBe(before);
    await insertItem(projectId, orderId, productId, { unit: 1999, quantity: 3, total: 5997 }).run();
    expect(await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", projectId)).toBe(before + 1);
  });

  it("products refuse an unknown status and a fractional stock", async () => {
    const projectId = crypto.randomUUID();
    const insert = (status: string, stock: number) =>
      env.DB.prepare(
        "INSERT INTO products (project_id, id, name, price_cents, units_in_stock, status, etag, created_at, updated_at) VALUES (?, ?, 'P', 1, ?, ?, 'e', ?, ?)",
      )
        .bind(projectId, crypto.randomUUID(), stock, status, now, now)
        .run();
    await expect(insert("archived", 1)).rejects.toThrow(CHECK);
    await expect(insert("active", 1.5)).rejects.toThrow(CHECK);
    await expect(insert("active", -1)).rejects.toThrow(CHECK);
  });
});

describe("cascades", () => {
  it("deleting an order deletes its items, and nothing else", async () => {
    const { projectId, orderId, customerId, productId } = await seeded();
    const { projectId: otherProject } = await seeded();
    await insertItem(projectId, orderId, productId, { quantity: 2 }).run();
    expect(
      await count("SELECT count(*) AS n FROM order_items WHERE project_id = ? AND order_id = ?", projectId, orderId),
    ).toBe(2);

    await env.DB.prepare("DELETE FROM orders WHERE project_id = ? AND id = ?").bind(projectId, orderId).run();
    expect(
      await count("SELECT count(*) AS n FROM order_items WHERE project_id = ? AND order_id = ?", projectId, orderId),
    ).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM customers WHERE project_id = ? AND id = ?", projectId, customerId),
    ).toBe(1);
    expect(
      await count("SELECT count(*) AS n FROM products WHERE project_id = ? AND id = ?", projectId, productId),
    ).toBe(1);
    expect(await count("SELECT count(*) AS n FROM order_items WHERE project_id = ?", otherProject)).toBe(1);
  });

  it("deleting a product deletes its images", async () => {
    const projectId = crypto.randomUUID();
    const productId = crypto.randomUUID();
    await insertProduct(projectId, productId).run();
    await env.DB.prepare(
      "INSERT INTO product_images (project_id, id, product_id, position, url) VALUES (?, ?, ?, 0, 'https://x.example/a.png')",
    )
      .bind(projectId, crypto.randomUUID(), productId)
      .run();
    expect(await count("SELECT count(*) AS n FROM product_images WHERE project_id = ?", projectId)).toBe(1);
    await env.DB.prepare("DELETE FROM products WHERE project_id = ? AND id = ?").bind(projectId, productId).run();
    expect(await count("SELECT count(*) AS n FROM product_images WHERE project_id = ?", projectId)).toBe(0);
  });
});

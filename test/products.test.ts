import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Client, createCustomer, createProduct, newProject } from "./support/api";
import { createOrderVia, ETAG_RE, INVALID_PARAMETERS, ISO_MS_RE, sleep, UUID_RE } from "./support/foundation";

const notFound = (id: string) => ({ message: `Product with id ${id} not found` });
const valid = { name: "Widget", price: 10, units_in_stock: 5 };

async function read(api: Client, id: string) {
  const res = await api.get(`/products/${id}`);
  return { status: res.status, body: res.body, etag: res.headers.get("ETag") };
}

async function total(api: Client, query = "") {
  const res = await api.get(`/products${query}`);
  expect(res.status).toBe(200);
  return res.body.pagination.total as number;
}

describe("POST /products", () => {
  it("creates a product: 201, exact body with defaults and nulls, UUID id, ms timestamps, ETag", async () => {
    const { api, projectId } = await newProject();
    const res = await api.post("/products", valid);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      data: {
        id: expect.stringMatching(UUID_RE),
        name: "Widget",
        description: null,
        sku: null,
        category_id: null,
        price: 10,
        units_in_stock: 5,
        status: "active",
        images: [],
        project_id: projectId,
        createdAt: expect.stringMatching(ISO_MS_RE),
        updatedAt: expect.stringMatching(ISO_MS_RE),
      },
    });
    expect(res.body.data.updatedAt).toBe(res.body.data.createdAt);
    expect(Math.abs(Date.parse(res.body.data.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(res.headers.get("ETag")).toMatch(ETAG_RE);
  });

  it("stores every field; images keep their order and get UUID ids", async () => {
    const { api, projectId } = await newProject();
    const categoryId = crypto.randomUUID();
    const body = {
      name: "Deluxe",
      price: 99.99,
      units_in_stock: 0,
      description: "A very fine thing",
      sku: "DLX-001",
      category_id: categoryId,
      status: "inactive",
      images: [
        { url: "https://img.example.com/front.png", name: "front" },
        { url: "http://img.example.com/back.jpg" },
        { url: "https://img.example.com/side.png", name: null },
      ],
    };
    const res = await api.post("/products", body);
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      ...body,
      id: expect.stringMatching(UUID_RE),
      images: [
        { id: expect.stringMatching(UUID_RE), url: "https://img.example.com/front.png", name: "front" },
        { id: expect.stringMatching(UUID_RE), url: "http://img.example.com/back.jpg", name: null },
        { id: expect.stringMatching(UUID_RE), url: "https://img.example.com/side.png", name: null },
      ],
      project_id: projectId,
      createdAt: expect.stringMatching(ISO_MS_RE),
      updatedAt: expect.stringMatching(ISO_MS_RE),
    });
    const imageIds = res.body.data.images.map((image: any) => image.id);
    expect(new Set(imageIds).size).toBe(3);
    const got = await api.get(`/products/${res.body.data.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it("normalises an upper-case category_id to lower case", async () => {
    const { api } = await newProject();
    const categoryId = crypto.randomUUID();
    const product = await createProduct(api, { category_id: categoryId.toUpperCase() });
    expect(product.category_id).toBe(categoryId);
  });

  it.each(["active", "inactive", "discontinued"])("accepts status %s", async (status) => {
    const { api } = await newProject();
    const product = await createProduct(api, { status });
    expect(product.status).toBe(status);
  });

  it.each([0, 0.01, 0.1, 0.3, 1.15, 19.99, 29.95, 1234.5, 99999999.99])(
    "price %s round-trips exactly",
    async (price) => {
      const { api } = await newProject();
      const product = await createProduct(api, { price });
      expect(product.price).toBe(price);
      const got = await api.get(`/products/${product.id}`);
      expect(got.body.data.price).toBe(price);
      const listed = await api.get("/products");
      expect(listed.body.data[0].price).toBe(price);
    },
  );

  it("accepts units_in_stock 0 and large whole numbers", async () => {
    const { api } = await newProject();
    expect((await createProduct(api, { units_in_stock: 0 })).units_in_stock).toBe(0);
    expect((await createProduct(api, { units_in_stock: 1_000_000_000 })).units_in_stock).toBe(1_000_000_000);
  });
});

describe("POST /products validation (400, nothing created)", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["missing name", { price: 1, units_in_stock: 1 }, /^name is required$/],
    ["empty name", { ...valid, name: "" }, /^name must not be empty$/],
    ["blank name", { ...valid, name: "  " }, /^name must not be empty$/],
    ["null name", { ...valid, name: null }, /^name must be a string$/],
    ["sku over 100 characters", { ...valid, sku: "s".repeat(101) }, /^sku must be at most 100 characters$/],
    [
      "more than 20 images",
      { ...valid, images: Array.from({ length: 21 }, (_, i) => ({ url: `https://x.example/${i}.png` })) },
      /^images must contain at most 20 items$/,
    ],
    ["a NUL character in the description", { ...valid, description: "a\u0000b" }, /^description must be valid text/],
    ["missing price", { name: "A", units_in_stock: 1 }, /^price is required$/],
    ["null price", { ...valid, price: null }, /^price must be a number$/],
    ["price as a string", { ...valid, price: "10" }, /^price must be a number$/],
    ["negative price", { ...valid, price: -1 }, /^price must be at least 0$/],
    ["tiny negative price", { ...valid, price: -0.01 }, /^price must be at least 0$/],
    ["price with 3 decimals", { ...valid, price: 10.005 }, /^price must have at most 2 decimal places$/],
    ["price 0.001", { ...valid, price: 0.001 }, /^price must have at most 2 decimal places$/],
    ["price 0.1 + 0.2", { ...valid, price: 0.1 + 0.2 }, /^price must have at most 2 decimal places$/],
    ["price above the maximum", { ...valid, price: 100_000_000 }, /^price must be at most/],
    ["missing units_in_stock", { name: "A", price: 1 }, /^units_in_stock is required$/],
    ["fractional units_in_stock", { ...valid, units_in_stock: 1.5 }, /^units_in_stock must be an integer$/],
    ["negative units_in_stock", { ...valid, units_in_stock: -1 }, /^units_in_stock must be at least 0$/],
    ["units_in_stock as a string", { ...valid, units_in_stock: "5" }, /^units_in_stock must be/],
    ["unknown status", { ...valid, status: "archived" }, /^status must be one of: active, inactive, discontinued$/],
    ["status in upper case", { ...valid, status: "ACTIVE" }, /^status must be one of/],
    ["category_id not a UUID", { ...valid, category_id: "cat-1" }, /^category_id must be a UUID$/],
    ["images not an array", { ...valid, images: "https://img.example.com/a.png" }, /^images must be an array$/],
    ["image url ftp", { ...valid, images: [{ url: "ftp://img.example.com/a.png" }] }, /^images\[0\]\.url must be/],
    ["image url javascript:", { ...valid, images: [{ url: "javascript:alert(1)" }] }, /^images\[0\]\.url must be/],
    ["image url data:", { ...valid, images: [{ url: "data:image/png;base64,AAAA" }] }, /^images\[0\]\.url must be/],
    ["image url not a URL", { ...valid, images: [{ url: "not a url" }] }, /^images\[0\]\.url must be/],
    ["image without url", { ...valid, images: [{ name: "a" }] }, /^images\[0\]\.url is required$/],
    [
      "second image bad",
      { ...valid, images: [{ url: "https://img.example.com/a.png" }, { url: "file:///etc/passwd" }] },
      /^images\[1\]\.url must be/,
    ],
    ["image with an id", { ...valid, images: [{ url: "https://a.example/x.png", id: "x" }] }, /images\[0\]\.id/],
    ["unknown field total_amount", { ...valid, total_amount: 1 }, /total_amount/],
    ["unknown field id", { ...valid, id: crypto.randomUUID() }, /\bid\b/],
    ["unknown field project_id", { ...valid, project_id: crypto.randomUUID() }, /project_id/],
    ["unknown field createdAt", { ...valid, createdAt: "2024-01-01T00:00:00.000Z" }, /createdAt/],
    ["unknown field price_cents", { ...valid, price_cents: 1000 }, /price_cents/],
  ];

  it.each(cases)("%s", async (_name, body, message) => {
    const { api } = await newProject();
    const res = await api.post("/products", body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ message: res.body.message })]));
    expect(await total(api)).toBe(0);
  });

  it("malformed JSON is 400 Invalid request parameters", async () => {
    const { api } = await newProject();
    for (const rawBody of ["{", '{"name":"A","price":1,"units_in_stock":1', "[", "nul"]) {
      const res = await api.post("/products", undefined, { rawBody, headers: { "Content-Type": "application/json" } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    }
    expect(await total(api)).toBe(0);
  });

  it("a wrong content type is 400 Invalid request parameters", async () => {
    const { api } = await newProject();
    const res = await api.post("/products", undefined, {
      rawBody: JSON.stringify(valid),
      headers: { "Content-Type": "text/plain" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    expect(await total(api)).toBe(0);
  });

  it("a body over 1 MB is 413", async () => {
    const { api } = await newProject();
    const res = await api.post("/products", { ...valid, description: "x".repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/i);
    expect(await total(api)).toBe(0);
  });
});

describe("prices (property-based, fixed seed)", () => {
  it("any price with at most 2 decimals round-trips exactly through POST, GET and PUT", async () => {
    const { api } = await newProject();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 9_999_999_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        async (cents, small) => {
          // Both the whole range and small amounts (where float noise such as 0.1 + 0.2 lives).
          for (const amount of [cents / 100, small / 100]) {
            const created = await api.post("/products", { ...valid, price: amount });
            expect(created.status).toBe(201);
            expect(created.body.data.price).toBe(amount);
            const got = await api.get(`/products/${created.body.data.id}`);
            expect(got.body.data.price).toBe(amount);
            const updated = await api.put(`/products/${created.body.data.id}`, { price: amount });
            expect(updated.status).toBe(200);
            expect(updated.body.data.price).toBe(amount);
          }
        },
      ),
      { seed: 42, numRuns: 40 },
    );
  });

  it("any price with more than 2 decimals is a 400 and creates nothing", async () => {
    const { api } = await newProject();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 3, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        async (units, decimals, lastDigit) => {
          // units + a fraction with exactly `decimals` digits, the last one non-zero: e.g. 12.345, 0.001.
          const fraction = `${"0".repeat(decimals - 1)}${lastDigit}`;
          const amount = Number(`${units}.${fraction}`);
          fc.pre(!/^\d+(\.\d{1,2})?$/.test(String(amount))); // the float really has more than 2 decimals
          const res = await api.post("/products", { ...valid, price: amount });
          expect(res.status).toBe(400);
          expect(res.body.message).toBe("price must have at most 2 decimal places");
        },
      ),
      { seed: 42, numRuns: 60 },
    );
    expect(await total(api)).toBe(0);
  });
});

describe("GET /products/:productId", () => {
  it("returns the product with the ETag of its creation", async () => {
    const { api } = await newProject();
    const created = await api.post("/products", { ...valid, images: [{ url: "https://x.example/a.png", name: "a" }] });
    const res = await api.get(`/products/${created.body.data.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expect(res.headers.get("ETag")).toBe(created.headers.get("ETag"));
  });

  it("finds a product whatever the case of its id", async () => {
    const { api } = await newProject();
    const product = await createProduct(api);
    const res = await api.get(`/products/${product.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(product);
  });

  it("a missing product is 404 Product with id <id> not found", async () => {
    const { api } = await newProject();
    const id = crypto.randomUUID();
    const res = await api.get(`/products/${id}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(notFound(id));
  });

  it.each(["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "0b6f1f9e5d7a4c619a7e1c0b1c7f3d21"])(
    "a malformed id (%s) is 404 with that id in the message, on GET, PUT and DELETE",
    async (id) => {
      const { api } = await newProject();
      for (const res of [
        await api.get(`/products/${id}`),
        await api.put(`/products/${id}`, { name: "X" }),
        await api.delete(`/products/${id}`),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual(notFound(id));
      }
    },
  );
});

describe("GET /products (list)", () => {
  it("an empty project has an empty first page", async () => {
    const { api } = await newProject();
    const res = await api.get("/products");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });

  it("paginates with a true total; pages neither overlap nor skip; a page past the end is empty", async () => {
    const { api } = await newProject();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createProduct(api, { name: `P${i}` })).id);
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const res = await api.get(`/products?page=${page}&limit=3`);
      expect(res.status).toBe(200);
      expect(res.body.pagination).toEqual({ total: 7, page, limit: 3 });
      expect(res.body.data).toHaveLength(page === 3 ? 1 : 3);
      seen.push(...res.body.data.map((p: any) => p.id));
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(ids));
    const past = await api.get("/products?page=4&limit=3");
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ data: [], pagination: { total: 7, page: 4, limit: 3 } });
  });

  it("lists the same objects GET returns, images included", async () => {
    const { api } = await newProject();
    const product = await createProduct(api, {
      images: [
        { url: "https://x.example/1.png", name: "1" },
        { url: "https://x.example/2.png", name: "2" },
      ],
    });
    const res = await api.get("/products");
    expect(res.body.data).toEqual([product]);
  });

  it("filters by status", async () => {
    const { api } = await newProject();
    const active = await createProduct(api, { name: "A" });
    const inactive = await createProduct(api, { name: "B", status: "inactive" });
    const discontinued = await createProduct(api, { name: "C", status: "discontinued" });
    for (const [status, expected] of [
      ["active", active],
      ["inactive", inactive],
      ["discontinued", discontinued],
    ] as const) {
      const res = await api.get(`/products?status=${status}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [expected], pagination: { total: 1, page: 1, limit: 10 } });
    }
  });

  it.each([
    "status=archived",
    "status=ACTIVE",
    "status=",
    "limit=0",
    "limit=101",
    "limit=1.5",
    "page=0",
    "page=abc",
    `search=${"y".repeat(201)}`,
  ])("a bad query (%s) is 400 Invalid request parameters", async (query) => {
    const { api } = await newProject();
    const res = await api.get(`/products?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
  });

  it("searches name, description and sku case-insensitively, and combines with status", async () => {
    const { api } = await newProject();
    const hammer = await createProduct(api, { name: "Claw Hammer", sku: "HAM-01", description: "Forged steel" });
    const saw = await createProduct(api, {
      name: "Hand Saw",
      sku: "SAW-77",
      description: "For wood",
      status: "inactive",
    });
    const drill = await createProduct(api, { name: "Drill", sku: "DRL-9", description: "STEEL bits included" });
    const ids = (res: any) => res.body.data.map((p: any) => p.id).sort();
    const expectations: [string, string[]][] = [
      ["search=hammer", [hammer.id]],
      ["search=HAMMER", [hammer.id]],
      ["search=saw-77", [saw.id]],
      ["search=steel", [hammer.id, drill.id]],
      ["search=steel&status=active", [hammer.id, drill.id]],
      ["search=wood&status=active", []],
      ["search=wood&status=inactive", [saw.id]],
      ["search=nothing", []],
    ];
    for (const [query, expected] of expectations) {
      const res = await api.get(`/products?${query}`);
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual([...expected].sort());
      expect(res.body.pagination.total).toBe(expected.length);
    }
  });

  it("finds non-ASCII text typed exactly as it is stored", async () => {
    const { api } = await newProject();
    const creme = await createProduct(api, { name: "CRÈME BRÛLÉE", sku: "ÆØÅ-1" });
    await createProduct(api, { name: "Creme Brulee", sku: "AOA-1" });
    for (const term of ["CRÈME", "BRÛLÉE", "ÆØÅ"]) {
      const res = await api.get(`/products?search=${encodeURIComponent(term)}`);
      expect(res.status, term).toBe(200);
      expect(
        res.body.data.map((p: any) => p.id),
        term,
      ).toEqual([creme.id]);
    }
  });

  it("treats %, _ and \\ in search as themselves", async () => {
    const { api } = await newProject();
    const percent = await createProduct(api, { name: "50% off" });
    await createProduct(api, { name: "50 off" });
    const underscore = await createProduct(api, { name: "x", sku: "A_B" });
    await createProduct(api, { name: "y", sku: "AXB" });
    const backslash = await createProduct(api, { name: "z", description: "C:\\path" });
    await createProduct(api, { name: "w", description: "C:path" });
    for (const [term, expected] of [
      ["%", [percent.id]],
      ["_", [underscore.id]],
      ["a_b", [underscore.id]],
      ["\\", [backslash.id]],
      [":\\p", [backslash.id]],
    ] as const) {
      const res = await api.get(`/products?search=${encodeURIComponent(term)}`);
      expect(res.status).toBe(200);
      expect(res.body.data.map((p: any) => p.id)).toEqual(expected);
    }
    expect(await total(api)).toBe(6);
  });

  it("accepts a 200-character search and refuses 201", async () => {
    const { api } = await newProject();
    const long = "0123456789".repeat(20);
    const product = await createProduct(api, { name: "long", description: `prefix ${long} suffix` });
    const ok = await api.get(`/products?search=${long}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data.map((p: any) => p.id)).toEqual([product.id]);
    const tooLong = await api.get(`/products?search=${long}0`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ message: INVALID_PARAMETERS });
  });
});

describe("PUT /products/:productId", () => {
  it("changes the given fields only; updatedAt moves, createdAt does not; the ETag changes", async () => {
    const { api } = await newProject();
    const created = await api.post("/products", {
      ...valid,
      description: "d",
      sku: "S",
      images: [{ url: "https://x.example/a.png", name: "a" }],
    });
    const before = created.body.data;
    await sleep(5);
    const res = await api.put(`/products/${before.id}`, {
      name: "Renamed",
      price: 1.15,
      units_in_stock: 9,
      status: "discontinued",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: {
        ...before,
        name: "Renamed",
        price: 1.15,
        units_in_stock: 9,
        status: "discontinued",
        updatedAt: expect.stringMatching(ISO_MS_RE),
      },
    });
    expect(Date.parse(res.body.data.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(res.body.data.createdAt).toBe(before.createdAt);
    expect(res.headers.get("ETag")).toMatch(ETAG_RE);
    expect(res.headers.get("ETag")).not.toBe(created.headers.get("ETag"));
    const got = await read(api, before.id);
    expect(got.body).toEqual(res.body);
    expect(got.etag).toBe(res.headers.get("ETag"));
  });

  it("null clears optional text and category_id", async () => {
    const { api } = await newProject();
    const product = await createProduct(api, { description: "d", sku: "s", category_id: crypto.randomUUID() });
    const res = await api.put(`/products/${product.id}`, { description: null, sku: null, category_id: null });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ description: null, sku: null, category_id: null, name: product.name });
    expect((await read(api, product.id)).body.data).toMatchObject({ description: null, sku: null, category_id: null });
  });

  it("images present replace all images; absent keep them; [] clears them", async () => {
    const { api } = await newProject();
    const product = await createProduct(api, {
      images: [
        { url: "https://x.example/1.png", name: "1" },
        { url: "https://x.example/2.png", name: "2" },
      ],
    });
    const kept = await api.put(`/products/${product.id}`, { name: "Still has images" });
    expect(kept.status).toBe(200);
    expect(kept.body.data.images).toEqual(product.images);

    const replaced = await api.put(`/products/${product.id}`, { images: [{ url: "https://x.example/3.png" }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.images).toEqual([
      { id: expect.stringMatching(UUID_RE), url: "https://x.example/3.png", name: null },
    ]);
    expect((await read(api, product.id)).body.data.images).toEqual(replaced.body.data.images);

    const cleared = await api.put(`/products/${product.id}`, { images: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data.images).toEqual([]);
    expect((await read(api, product.id)).body.data.images).toEqual([]);
  });

  it("a missing product is 404 Product with id <id> not found, with and without If-Match", async () => {
    const { api } = await newProject();
    const id = crypto.randomUUID();
    for (const headers of [{}, { "If-Match": '"x"' }, { "If-Match": "*" }] as Record<string, string>[]) {
      const res = await api.put(`/products/${id}`, { name: "X" }, { headers });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(id));
    }
    for (const body of [{ name: "X", images: [{ url: "https://x.example/a.png" }] }, { images: [] }]) {
      const res = await api.put(`/products/${id}`, body);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(id));
    }
  });

  const invalid: [string, unknown, RegExp][] = [
    ["an empty body", {}, /at least one field/],
    ["name null", { name: null }, /^name must be a string$/],
    ["price null", { price: null }, /^price must be a number$/],
    ["price 10.005", { price: 10.005 }, /^price must have at most 2 decimal places$/],
    ["negative price", { price: -5 }, /^price must be at least 0$/],
    ["units_in_stock null", { units_in_stock: null }, /^units_in_stock must be/],
    ["units_in_stock 2.5", { units_in_stock: 2.5 }, /^units_in_stock must be an integer$/],
    ["status null", { status: null }, /^status must be one of/],
    ["status bogus", { status: "sold" }, /^status must be one of/],
    ["images null", { images: null }, /^images must be an array$/],
    ["image url ftp", { images: [{ url: "ftp://x.example/a.png" }] }, /^images\[0\]\.url must be/],
    ["unknown field id", { id: crypto.randomUUID() }, /\bid\b/],
    ["unknown field project_id", { name: "X", project_id: crypto.randomUUID() }, /project_id/],
    ["unknown field updatedAt", { updatedAt: "2020-01-01T00:00:00.000Z" }, /updatedAt/],
  ];

  it.each(invalid)("%s is a 400 naming the problem, and nothing changes", async (_name, body, message) => {
    const { api } = await newProject();
    const product = await createProduct(api, { images: [{ url: "https://x.example/a.png", name: "a" }] });
    const before = await read(api, product.id);
    const res = await api.put(`/products/${product.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(await read(api, product.id)).toEqual(before);
  });

  it("malformed JSON and a wrong content type are 400 Invalid request parameters, and nothing changes", async () => {
    const { api } = await newProject();
    const product = await createProduct(api);
    const before = await read(api, product.id);
    for (const options of [
      { rawBody: '{"price":', headers: { "Content-Type": "application/json" } },
      { rawBody: JSON.stringify({ price: 1 }), headers: { "Content-Type": "text/plain" } },
    ]) {
      const res = await api.put(`/products/${product.id}`, undefined, options);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    }
    expect(await read(api, product.id)).toEqual(before);
  });

  it("a price change does not touch existing orders (snapshot)", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const product = await createProduct(api, { price: 19.99 });
    const order = await createOrderVia(api, customer.id, product.id, 3);
    expect(order.total_amount).toBe(59.97);
    const res = await api.put(`/products/${product.id}`, { price: 25 });
    expect(res.status).toBe(200);
    const got = await api.get(`/crm/orders/${order.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data.total_amount).toBe(59.97);
    expect(got.body.data.orderItems[0]).toMatchObject({ unit_price: 19.99, total_amount: 59.97, quantity: 3 });
  });
});

describe("DELETE /products/:productId", () => {
  it("deletes: 200 with a message, then 404 everywhere", async () => {
    const { api } = await newProject();
    const product = await createProduct(api, { images: [{ url: "https://x.example/a.png" }] });
    const res = await api.delete(`/products/${product.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "Product deleted successfully" });
    for (const after of [
      await api.get(`/products/${product.id}`),
      await api.put(`/products/${product.id}`, { name: "X" }),
      await api.delete(`/products/${product.id}`),
    ]) {
      expect(after.status).toBe(404);
      expect(after.body).toEqual(notFound(product.id));
    }
    expect(await total(api)).toBe(0);
  });

  it("a product used by an order is a 409 saying why; product and order stay", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const product = await createProduct(api);
    const order = await createOrderVia(api, customer.id, product.id, 2);
    const before = await read(api, product.id);

    const res = await api.delete(`/products/${product.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ message: expect.stringMatching(/order/i) });
    expect(await read(api, product.id)).toEqual(before);
    const got = await api.get(`/crm/orders/${order.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data.orderItems.map((item: any) => item.product_id)).toEqual([product.id]);

    const withEtag = await api.delete(`/products/${product.id}`, { headers: { "If-Match": before.etag! } });
    expect(withEtag.status).toBe(409);
    expect(await read(api, product.id)).toEqual(before);

    expect((await api.delete(`/crm/orders/${order.id}`)).status).toBe(200);
    const now = await api.delete(`/products/${product.id}`);
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ message: "Product deleted successfully" });
  });
});

describe("ETag and If-Match", () => {
  it("PUT with a stale If-Match is 412 and changes nothing (images included); the current one succeeds", async () => {
    const { api } = await newProject();
    const created = await api.post("/products", { ...valid, images: [{ url: "https://x.example/a.png", name: "a" }] });
    const id = created.body.data.id;
    const v1 = created.headers.get("ETag")!;
    const v2res = await api.put(`/products/${id}`, { price: 11 }, { headers: { "If-Match": v1 } });
    expect(v2res.status).toBe(200);
    const v2 = v2res.headers.get("ETag")!;
    expect(v2).not.toBe(v1);

    const before = await read(api, id);
    const stale = await api.put(
      `/products/${id}`,
      { price: 12, images: [{ url: "https://x.example/b.png" }] },
      { headers: { "If-Match": v1 } },
    );
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ message: expect.stringMatching(/If-Match/) });
    expect(await read(api, id)).toEqual(before);

    const weak = await api.put(`/products/${id}`, { price: 12 }, { headers: { "If-Match": `W/${v2}` } });
    expect(weak.status).toBe(412);
    expect(await read(api, id)).toEqual(before);

    const current = await api.put(`/products/${id}`, { price: 12 }, { headers: { "If-Match": v2 } });
    expect(current.status).toBe(200);
    expect(current.body.data.price).toBe(12);
  });

  it("DELETE with a stale If-Match is 412 and the product stays; the current one deletes", async () => {
    const { api } = await newProject();
    const created = await api.post("/products", valid);
    const id = created.body.data.id;
    const v1 = created.headers.get("ETag")!;
    await api.put(`/products/${id}`, { name: "Changed" });
    const before = await read(api, id);

    const stale = await api.delete(`/products/${id}`, { headers: { "If-Match": v1 } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ message: expect.stringMatching(/If-Match/) });
    expect(await read(api, id)).toEqual(before);

    const res = await api.delete(`/products/${id}`, { headers: { "If-Match": before.etag! } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "Product deleted successfully" });
    expect((await read(api, id)).status).toBe(404);
  });
});

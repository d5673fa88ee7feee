import { describe, expect, it } from "vitest";
import { type Client, call, createCustomer, createProduct, newProject } from "./support/api";
import { createOrderVia, ETAG_RE, INVALID_PARAMETERS, ISO_MS_RE, sleep, UUID_RE } from "./support/foundation";

const NOT_FOUND = { message: "Customer not found" };

/** GET of one customer: its body and ETag, for "nothing changed" comparisons. */
async function read(api: Client, id: string) {
  const res = await api.get(`/crm/customers/${id}`);
  return { status: res.status, body: res.body, etag: res.headers.get("ETag") };
}

async function total(api: Client) {
  const res = await api.get("/crm/customers");
  expect(res.status).toBe(200);
  return res.body.pagination.total as number;
}

describe("POST /crm/customers", () => {
  it("creates a customer: 201, exact body, nulls for unset optional text, UUID id, ms timestamps, ETag", async () => {
    const { api, projectId } = await newProject();
    const before = Date.now();
    const res = await api.post("/crm/customers", { name: "Ada Lovelace" });
    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      data: {
        id: expect.stringMatching(UUID_RE),
        name: "Ada Lovelace",
        email: null,
        phone: null,
        company: null,
        project_id: projectId,
        createdAt: expect.stringMatching(ISO_MS_RE),
        updatedAt: expect.stringMatching(ISO_MS_RE),
      },
    });
    const { data } = res.body;
    expect(data.updatedAt).toBe(data.createdAt);
    const created = Date.parse(data.createdAt);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
    expect(res.headers.get("ETag")).toMatch(ETAG_RE);
  });

  it("stores every field as sent", async () => {
    const { api, projectId } = await newProject();
    const body = { name: "Grace Hopper", email: "grace@navy.example", phone: "+1 555 0100", company: "US Navy" };
    const res = await api.post("/crm/customers", body);
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      ...body,
      id: expect.stringMatching(UUID_RE),
      project_id: projectId,
      createdAt: expect.stringMatching(ISO_MS_RE),
      updatedAt: expect.stringMatching(ISO_MS_RE),
    });
    const got = await api.get(`/crm/customers/${res.body.data.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it("accepts JSON content types with parameters", async () => {
    const { api } = await newProject();
    for (const contentType of ["application/json; charset=utf-8", "application/json;charset=UTF-8"]) {
      const res = await api.post("/crm/customers", undefined, {
        rawBody: JSON.stringify({ name: "Charset" }),
        headers: { "Content-Type": contentType },
      });
      expect(res.status).toBe(201);
      expect(res.body.data.name).toBe("Charset");
    }
  });

  it("accepts the longest allowed values", async () => {
    const { api } = await newProject();
    const body = { name: "n".repeat(200), phone: "1".repeat(50), company: "c".repeat(200) };
    const res = await api.post("/crm/customers", body);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject(body);
  });

  it("accepts null for optional text as 'no value'", async () => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", { name: "N", email: null, phone: null, company: null });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name: "N", email: null, phone: null, company: null });
  });

  it("trims the name but keeps optional text exactly as sent", async () => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", { name: "  Ada  ", company: "  Spaced  Co " });
    expect(res.status).toBe(201);
    expect(res.body.data.name).toBe("Ada");
    expect(res.body.data.company).toBe("  Spaced  Co ");
  });

  it("round-trips non-ASCII text", async () => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", { name: "Zoë Ångström 山田 🚀", company: "Ünïcödé GmbH" });
    expect(res.status).toBe(201);
    const got = await api.get(`/crm/customers/${res.body.data.id}`);
    expect(got.body.data).toMatchObject({ name: "Zoë Ångström 山田 🚀", company: "Ünïcödé GmbH" });
  });
});

describe("POST /crm/customers validation (400, nothing created)", () => {
  const cases: [string, unknown, RegExp][] = [
    ["missing name", { email: "a@example.com" }, /^name is required$/],
    ["empty name", { name: "" }, /^name must not be empty$/],
    ["blank name", { name: "   " }, /^name must not be empty$/],
    ["null name", { name: null }, /^name must be a string$/],
    ["numeric name", { name: 42 }, /^name must be a string$/],
    ["name over 200 characters", { name: "x".repeat(201) }, /^name must be at most 200 characters$/],
    ["phone over 50 characters", { name: "A", phone: "1".repeat(51) }, /^phone must be at most 50 characters$/],
    [
      "company over 200 characters",
      { name: "A", company: "c".repeat(201) },
      /^company must be at most 200 characters$/,
    ],
    ["a NUL character in the name", { name: "A\u0000B" }, /^name must be valid text/],
    ["an unpaired surrogate in the company", { name: "A", company: "x\ud800y" }, /^company must be valid text/],
    ["email without @", { name: "A", email: "not-an-email" }, /^email must be a valid email address$/],
    ["email without domain", { name: "A", email: "a@" }, /^email must be a valid email address$/],
    ["email with spaces", { name: "A", email: "a b@example.com" }, /^email must be a valid email address$/],
    ["email that is a number", { name: "A", email: 5 }, /^email must be a string$/],
    ["phone that is a number", { name: "A", phone: 5550100 }, /^phone must be a string$/],
    ["company that is an object", { name: "A", company: { name: "x" } }, /^company must be a string$/],
    ["unknown field total_amount", { name: "A", total_amount: 1 }, /total_amount/],
    ["unknown field id", { name: "A", id: crypto.randomUUID() }, /\bid\b/],
    ["unknown field project_id", { name: "A", project_id: crypto.randomUUID() }, /project_id/],
    ["unknown field createdAt", { name: "A", createdAt: "2024-01-01T00:00:00.000Z" }, /createdAt/],
    ["unknown field updatedAt", { name: "A", updatedAt: "2024-01-01T00:00:00.000Z" }, /updatedAt/],
    ["a JSON array body", [{ name: "A" }], /^Request body must be a JSON object$/],
    ["a JSON string body", "A", /^Request body must be a JSON object$/],
    ["a JSON null body", null, /^Request body must be a JSON object$/],
  ];

  it.each(cases)("%s", async (_name, body, message) => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ message: res.body.message })]));
    expect(res.headers.get("ETag")).toBeNull();
    expect(await total(api)).toBe(0);
  });

  it("names every unknown field", async () => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", { name: "A", id: "x", project_id: "y" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      message: "Unknown fields: id, project_id",
      errors: [{ field: "id, project_id", message: "Unknown fields: id, project_id" }],
    });
    expect(await total(api)).toBe(0);
  });

  it("malformed JSON is 400 Invalid request parameters", async () => {
    const { api } = await newProject();
    for (const rawBody of ["{", '{"name": "A",}', "name=A", ""]) {
      const res = await api.post("/crm/customers", undefined, {
        rawBody,
        headers: { "Content-Type": "application/json" },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    }
    expect(await total(api)).toBe(0);
  });

  it("a wrong or missing content type is 400 Invalid request parameters", async () => {
    const { api } = await newProject();
    const rawBody = JSON.stringify({ name: "A" });
    for (const headers of [
      { "Content-Type": "text/plain" },
      { "Content-Type": "application/x-www-form-urlencoded" },
      {} as Record<string, string>,
    ]) {
      const res = await api.post("/crm/customers", undefined, { rawBody, headers });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    }
    expect(await total(api)).toBe(0);
  });

  it("a body over 1 MB is 413", async () => {
    const { api } = await newProject();
    const res = await api.post("/crm/customers", { name: "A", company: "x".repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/i);
    expect(await total(api)).toBe(0);
  });
});

describe("GET /crm/customers/:customerId", () => {
  it("returns the customer with the same ETag as its creation", async () => {
    const { api } = await newProject();
    const created = await api.post("/crm/customers", { name: "A", email: "a@example.com" });
    const res = await api.get(`/crm/customers/${created.body.data.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expect(res.headers.get("ETag")).toMatch(ETAG_RE);
    expect(res.headers.get("ETag")).toBe(created.headers.get("ETag"));
  });

  it("finds a customer whatever the case of its id", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const res = await api.get(`/crm/customers/${customer.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(customer);
  });

  it("a missing customer is 404 Customer not found", async () => {
    const { api } = await newProject();
    const res = await api.get(`/crm/customers/${crypto.randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it.each([
    "not-a-uuid",
    "123",
    "00000000-0000-0000-0000-00000000000g",
    "0b6f1f9e5d7a4c619a7e1c0b1c7f3d21",
    "%20",
    "'%20OR%201=1",
  ])("a malformed id (%s) is 404 Customer not found on GET, PUT and DELETE", async (id) => {
    const { api } = await newProject();
    for (const res of [
      await api.get(`/crm/customers/${id}`),
      await api.put(`/crm/customers/${id}`, { name: "X" }),
      await api.delete(`/crm/customers/${id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
    }
  });
});

describe("GET /crm/customers (list)", () => {
  it("an empty project has an empty first page with the default pagination", async () => {
    const { api } = await newProject();
    const res = await api.get("/crm/customers");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
  });

  it("paginates with a true total; pages neither overlap nor skip; a page past the end is empty", async () => {
    const { api } = await newProject();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createCustomer(api, { name: `C${i}` })).id);

    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const res = await api.get(`/crm/customers?page=${page}&limit=2`);
      expect(res.status).toBe(200);
      expect(res.body.pagination).toEqual({ total: 5, page, limit: 2 });
      expect(res.body.data).toHaveLength(page === 3 ? 1 : 2);
      seen.push(...res.body.data.map((c: any) => c.id));
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));

    const past = await api.get("/crm/customers?page=4&limit=2");
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ data: [], pagination: { total: 5, page: 4, limit: 2 } });

    const far = await api.get("/crm/customers?page=999999&limit=100");
    expect(far.status).toBe(200);
    expect(far.body).toEqual({ data: [], pagination: { total: 5, page: 999999, limit: 100 } });
  });

  it("lists the same objects GET returns", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api, { name: "Listed", phone: "1", company: "Co" });
    const res = await api.get("/crm/customers");
    expect(res.body.data).toEqual([customer]);
  });

  it("accepts limit 1 and 100", async () => {
    const { api } = await newProject();
    await createCustomer(api, { name: "One" });
    await createCustomer(api, { name: "Two" });
    const one = await api.get("/crm/customers?limit=1");
    expect(one.status).toBe(200);
    expect(one.body.data).toHaveLength(1);
    expect(one.body.pagination).toEqual({ total: 2, page: 1, limit: 1 });
    const hundred = await api.get("/crm/customers?limit=100");
    expect(hundred.status).toBe(200);
    expect(hundred.body.pagination).toEqual({ total: 2, page: 1, limit: 100 });
  });

  it.each([
    "limit=0",
    "limit=101",
    "limit=-1",
    "limit=1.5",
    "limit=abc",
    "limit=",
    "limit=1e2",
    "page=0",
    "page=-1",
    "page=abc",
    "page=1.5",
    "page=",
    `search=${"x".repeat(201)}`,
  ])("a bad query (%s) is 400 Invalid request parameters", async (query) => {
    const { api } = await newProject();
    const res = await api.get(`/crm/customers?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
  });

  describe("search", () => {
    async function seeded() {
      const { api } = await newProject();
      const ada = await createCustomer(api, {
        name: "Ada Lovelace",
        email: "ada@analytical.example",
        company: "Engines Ltd",
      });
      const grace = await createCustomer(api, { name: "Grace Hopper", email: "grace@navy.example", company: "NAVY" });
      const alan = await createCustomer(api, {
        name: "Alan Turing",
        email: "alan@bletchley.example",
        company: null,
        phone: "+44 1908 640404",
      });
      return { api, ada, grace, alan };
    }

    const ids = (res: any) => res.body.data.map((c: any) => c.id).sort();

    it("matches name, email and company, case-insensitively, as a substring", async () => {
      const { api, ada, grace, alan } = await seeded();
      const expectations: [string, string[]][] = [
        ["lovelace", [ada.id]],
        ["LOVELACE", [ada.id]],
        ["ovel", [ada.id]],
        ["NAVY.example", [grace.id]],
        ["engines", [ada.id]],
        ["navy", [grace.id]],
        ["bletchley", [alan.id]],
        ["a", [ada.id, grace.id, alan.id]],
        ["nobody", []],
      ];
      for (const [term, expected] of expectations) {
        const res = await api.get(`/crm/customers?search=${encodeURIComponent(term)}`);
        expect(res.status).toBe(200);
        expect(ids(res)).toEqual([...expected].sort());
        expect(res.body.pagination.total).toBe(expected.length);
      }
    });

    it("finds non-ASCII text typed exactly as it is stored", async () => {
      const { api } = await newProject();
      const emile = await createCustomer(api, { name: "ÉMILE Zoë", company: "Ōsaka Ünited" });
      await createCustomer(api, { name: "Emile Zoe", company: "Osaka United" });
      for (const term of ["ÉMILE", "ÉMILE Zoë", "Zoë", "Ōsaka", "Ünited"]) {
        const res = await api.get(`/crm/customers?search=${encodeURIComponent(term)}`);
        expect(res.status, term).toBe(200);
        expect(
          res.body.data.map((c: any) => c.id),
          term,
        ).toEqual([emile.id]);
      }
    });

    it("does not search the phone number", async () => {
      const { api } = await seeded();
      const res = await api.get(`/crm/customers?search=${encodeURIComponent("640404")}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [], pagination: { total: 0, page: 1, limit: 10 } });
    });

    it("is trimmed, and an empty search means no filter", async () => {
      const { api, ada } = await seeded();
      const trimmed = await api.get(`/crm/customers?search=${encodeURIComponent("  lovelace  ")}`);
      expect(ids(trimmed)).toEqual([ada.id]);
      for (const term of ["", "   "]) {
        const res = await api.get(`/crm/customers?search=${encodeURIComponent(term)}`);
        expect(res.status).toBe(200);
        expect(res.body.pagination.total).toBe(3);
      }
    });

    it("treats %, _ and \\ as themselves, never as wildcards", async () => {
      const { api } = await newProject();
      const percent = await createCustomer(api, { name: "100% Cotton" });
      const plain = await createCustomer(api, { name: "100 Cotton" });
      const underscore = await createCustomer(api, { name: "snake_case" });
      const notUnderscore = await createCustomer(api, { name: "snakeXcase" });
      const backslash = await createCustomer(api, { name: "back\\slash" });
      const noBackslash = await createCustomer(api, { name: "backslash" });
      const expectations: [string, string[]][] = [
        ["%", [percent.id]],
        ["100%", [percent.id]],
        ["0% c", [percent.id]],
        ["_", [underscore.id]],
        ["e_c", [underscore.id]],
        ["\\", [backslash.id]],
        ["k\\s", [backslash.id]],
        ["%%", []],
        ["1_0", []],
        ["[a-z]", []],
        ["*", []],
      ];
      for (const [term, expected] of expectations) {
        const res = await api.get(`/crm/customers?search=${encodeURIComponent(term)}`);
        expect(res.status).toBe(200);
        expect(ids(res)).toEqual([...expected].sort());
      }
      const everyone = await api.get("/crm/customers");
      expect(everyone.body.pagination.total).toBe(6);
      expect(ids(everyone)).toEqual(
        [percent.id, plain.id, underscore.id, notUnderscore.id, backslash.id, noBackslash.id].sort(),
      );
    });

    it("accepts a 200-character search and refuses 201 characters", async () => {
      const { api } = await newProject();
      const long = `${"abcdefghij".repeat(19)}klmnopqrst`;
      expect(long).toHaveLength(200);
      const customer = await createCustomer(api, { name: long });
      await createCustomer(api, { name: "other" });
      const ok = await api.get(`/crm/customers?search=${long.toUpperCase()}`);
      expect(ok.status).toBe(200);
      expect(ok.body.data.map((c: any) => c.id)).toEqual([customer.id]);
      const tooLong = await api.get(`/crm/customers?search=${long}x`);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toMatchObject({ message: INVALID_PARAMETERS });
    });

    it("combines search with pagination", async () => {
      const { api } = await newProject();
      for (let i = 0; i < 3; i++) await createCustomer(api, { name: `Match ${i}` });
      await createCustomer(api, { name: "Other" });
      const res = await api.get("/crm/customers?search=match&limit=2&page=2");
      expect(res.status).toBe(200);
      expect(res.body.pagination).toEqual({ total: 3, page: 2, limit: 2 });
      expect(res.body.data).toHaveLength(1);
      expect(res.body.data[0].name).toMatch(/^Match/);
    });
  });
});

describe("PUT /crm/customers/:customerId", () => {
  it("changes the given fields only; updatedAt moves, createdAt does not; the ETag changes", async () => {
    const { api } = await newProject();
    const created = await api.post("/crm/customers", {
      name: "Old",
      email: "old@example.com",
      phone: "1",
      company: "Co",
    });
    const { data: before } = created.body;
    await sleep(5);
    const res = await api.put(`/crm/customers/${before.id}`, { name: "New", company: "New Co" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { ...before, name: "New", company: "New Co", updatedAt: expect.stringMatching(ISO_MS_RE) },
    });
    expect(Date.parse(res.body.data.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(res.body.data.createdAt).toBe(before.createdAt);
    expect(res.headers.get("ETag")).toMatch(ETAG_RE);
    expect(res.headers.get("ETag")).not.toBe(created.headers.get("ETag"));
    const got = await read(api, before.id);
    expect(got.body).toEqual(res.body);
    expect(got.etag).toBe(res.headers.get("ETag"));
  });

  it("null clears optional text", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api, { email: "x@example.com", phone: "1", company: "Co" });
    const res = await api.put(`/crm/customers/${customer.id}`, { email: null, phone: null, company: null });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: customer.name, email: null, phone: null, company: null });
    expect((await read(api, customer.id)).body.data).toMatchObject({ email: null, phone: null, company: null });
  });

  it("a missing customer is 404 Customer not found", async () => {
    const { api } = await newProject();
    const res = await api.put(`/crm/customers/${crypto.randomUUID()}`, { name: "X" });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  const invalid: [string, unknown, RegExp][] = [
    ["an empty body", {}, /at least one field/],
    ["name null", { name: null }, /^name must be a string$/],
    ["name empty", { name: "" }, /^name must not be empty$/],
    ["a bad email", { email: "nope" }, /^email must be a valid email address$/],
    ["unknown field id", { id: crypto.randomUUID() }, /\bid\b/],
    ["unknown field project_id", { name: "X", project_id: crypto.randomUUID() }, /project_id/],
    ["unknown field createdAt", { createdAt: "2020-01-01T00:00:00.000Z" }, /createdAt/],
    ["unknown field total_amount", { total_amount: 5 }, /total_amount/],
    ["a JSON array body", [], /^Request body must be a JSON object$/],
  ];

  it.each(invalid)("%s is a 400 naming the problem, and nothing changes", async (_name, body, message) => {
    const { api } = await newProject();
    const customer = await createCustomer(api, { phone: "1" });
    const before = await read(api, customer.id);
    const res = await api.put(`/crm/customers/${customer.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(await read(api, customer.id)).toEqual(before);
  });

  it("malformed JSON and a wrong content type are 400 Invalid request parameters, and nothing changes", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const before = await read(api, customer.id);
    const attempts = [
      { rawBody: "{", headers: { "Content-Type": "application/json" } },
      { rawBody: JSON.stringify({ name: "X" }), headers: { "Content-Type": "text/plain" } },
    ];
    for (const options of attempts) {
      const res = await api.put(`/crm/customers/${customer.id}`, undefined, options);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: INVALID_PARAMETERS });
    }
    expect(await read(api, customer.id)).toEqual(before);
  });

  it("a body over 1 MB is 413 and nothing changes", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const before = await read(api, customer.id);
    const res = await api.put(`/crm/customers/${customer.id}`, { company: "x".repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/i);
    expect(await read(api, customer.id)).toEqual(before);
  });
});

describe("DELETE /crm/customers/:customerId", () => {
  it("deletes: 200 with a message, then 404 for GET, PUT and DELETE", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const res = await api.delete(`/crm/customers/${customer.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "Customer deleted successfully" });
    for (const after of [
      await api.get(`/crm/customers/${customer.id}`),
      await api.put(`/crm/customers/${customer.id}`, { name: "X" }),
      await api.delete(`/crm/customers/${customer.id}`),
    ]) {
      expect(after.status).toBe(404);
      expect(after.body).toEqual(NOT_FOUND);
    }
    expect(await total(api)).toBe(0);
  });

  it("a customer with orders is a 409 saying why; customer and order stay; deletable once the order is gone", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api);
    const product = await createProduct(api);
    const order = await createOrderVia(api, customer.id, product.id);
    const before = await read(api, customer.id);

    const res = await api.delete(`/crm/customers/${customer.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ message: expect.stringMatching(/order/i) });
    expect(await read(api, customer.id)).toEqual(before);
    const stillThere = await api.get(`/crm/orders/${order.id}`);
    expect(stillThere.status).toBe(200);
    expect(stillThere.body.data.customer_id).toBe(customer.id);

    // Even with a matching If-Match, the conflict wins over the precondition.
    const withEtag = await api.delete(`/crm/customers/${customer.id}`, { headers: { "If-Match": before.etag! } });
    expect(withEtag.status).toBe(409);

    const removed = await api.delete(`/crm/orders/${order.id}`);
    expect(removed.status).toBe(200);
    const now = await api.delete(`/crm/customers/${customer.id}`);
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ message: "Customer deleted successfully" });
  });
});

describe("ETag and If-Match", () => {
  it("PUT with a stale If-Match is 412 and changes nothing; the current one succeeds", async () => {
    const { api } = await newProject();
    const created = await api.post("/crm/customers", { name: "V1" });
    const id = created.body.data.id;
    const v1 = created.headers.get("ETag")!;
    const second = await api.put(`/crm/customers/${id}`, { name: "V2" }, { headers: { "If-Match": v1 } });
    expect(second.status).toBe(200);
    expect(second.body.data.name).toBe("V2");
    const v2 = second.headers.get("ETag")!;
    expect(v2).not.toBe(v1);

    const before = await read(api, id);
    const stale = await api.put(`/crm/customers/${id}`, { name: "V3" }, { headers: { "If-Match": v1 } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ message: expect.stringMatching(/If-Match/) });
    expect(await read(api, id)).toEqual(before);

    for (const ifMatch of [`W/${v2}`, v2.slice(1, -1), '"nope"', ""]) {
      const res = await api.put(`/crm/customers/${id}`, { name: "V3" }, { headers: { "If-Match": ifMatch } });
      expect(res.status).toBe(412);
    }
    expect(await read(api, id)).toEqual(before);

    const listed = await api.put(`/crm/customers/${id}`, { name: "V3" }, { headers: { "If-Match": `"nope", ${v2}` } });
    expect(listed.status).toBe(200);
    expect(listed.body.data.name).toBe("V3");

    const star = await api.put(`/crm/customers/${id}`, { name: "V4" }, { headers: { "If-Match": "*" } });
    expect(star.status).toBe(200);
    expect(star.body.data.name).toBe("V4");
  });

  it("DELETE with a stale If-Match is 412 and the customer stays; the current one deletes", async () => {
    const { api } = await newProject();
    const created = await api.post("/crm/customers", { name: "V1" });
    const id = created.body.data.id;
    const v1 = created.headers.get("ETag")!;
    await api.put(`/crm/customers/${id}`, { name: "V2" });
    const before = await read(api, id);

    const stale = await api.delete(`/crm/customers/${id}`, { headers: { "If-Match": v1 } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ message: expect.stringMatching(/If-Match/) });
    expect(await read(api, id)).toEqual(before);

    const res = await api.delete(`/crm/customers/${id}`, { headers: { "If-Match": before.etag! } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "Customer deleted successfully" });
    expect((await read(api, id)).status).toBe(404);
  });

  it("If-Match on a missing customer is 404, not 412", async () => {
    const { api } = await newProject();
    const id = crypto.randomUUID();
    const put = await api.put(`/crm/customers/${id}`, { name: "X" }, { headers: { "If-Match": '"x"' } });
    expect(put.status).toBe(404);
    expect(put.body).toEqual(NOT_FOUND);
    const del = await api.delete(`/crm/customers/${id}`, { headers: { "If-Match": '"x"' } });
    expect(del.status).toBe(404);
    expect(del.body).toEqual(NOT_FOUND);
  });
});

it("the customers endpoints answer with JSON and a request id", async () => {
  const { key } = await newProject();
  const res = await call("GET", "/crm/customers", { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.headers.get("X-Request-Id")).toMatch(/.+/);
});

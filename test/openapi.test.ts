import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { call, createCustomer, createProduct, newProject } from "./support/api";
import {
  concretePath,
  createOrderVia,
  isProtected,
  NOT_FOUND,
  openApiDocument,
  operationsOf,
  toHonoPath,
} from "./support/foundation";

const doc = await openApiDocument();
const operations = operationsOf(doc);

/** Every method + path the app serves, from hono's own route table (middleware entries and the meta routes left out). */
function servedRoutes(): string[] {
  const routes = app.routes
    .filter((route) => route.method !== "ALL")
    .filter((route) => route.path !== "/docs" && route.path !== "/v1/dev/openapi.json")
    .map((route) => `${route.method} ${route.path}`);
  return [...new Set(routes)].sort();
}

const documentedRoutes = () => [...new Set(operations.map((op) => `${op.method} ${toHonoPath(op.path)}`))].sort();

describe("GET /v1/dev/openapi.json", () => {
  it("is OpenAPI 3.1 with full paths as keys", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const paths = Object.keys(doc.paths);
    for (const path of [
      "/v1/dev/crm/orders",
      "/v1/dev/crm/orders/{orderId}",
      "/v1/dev/crm/customers",
      "/v1/dev/crm/customers/{customerId}",
      "/v1/dev/products",
      "/v1/dev/products/{productId}",
      "/v1/dev/health",
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths.every((path) => path.startsWith("/v1/dev/"))).toBe(true);
  });

  it("documents the five operations of each resource", () => {
    const methods = (path: string) =>
      operations
        .filter((op) => op.path === path)
        .map((op) => op.method)
        .sort();
    for (const base of ["/v1/dev/crm/orders", "/v1/dev/crm/customers", "/v1/dev/products"]) {
      expect(methods(base)).toEqual(["GET", "POST"]);
    }
    for (const item of [
      "/v1/dev/crm/orders/{orderId}",
      "/v1/dev/crm/customers/{customerId}",
      "/v1/dev/products/{productId}",
    ]) {
      expect(methods(item)).toEqual(["DELETE", "GET", "PUT"]);
    }
  });

  it("declares bearer auth and requires it on every resource operation", () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const op of operations) {
      if (op.path === "/v1/dev/health") expect(isProtected(op)).toBe(false);
      else expect(op.operation.security).toEqual([{ bearerAuth: [] }]);
    }
  });

  it("documents 400, 401 and 500 on every protected operation, and 404 on every single-resource one", () => {
    for (const op of operations.filter(isProtected)) {
      const statuses = Object.keys(op.operation.responses);
      expect(statuses, `${op.method} ${op.path}`).toEqual(expect.arrayContaining(["400", "401", "500"]));
      if (op.path.includes("{")) expect(statuses, `${op.method} ${op.path}`).toContain("404");
    }
  });

  it("documents every path parameter of every templated path", () => {
    for (const op of operations) {
      const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const documented = (op.operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
      expect(documented.sort(), `${op.method} ${op.path}`).toEqual(names.sort());
    }
  });

  it("documents the list query parameters", () => {
    const queryParams = (path: string) =>
      (operations.find((op) => op.method === "GET" && op.path === path)!.operation.parameters ?? [])
        .filter((p) => p.in === "query")
        .map((p) => p.name)
        .sort();
    expect(queryParams("/v1/dev/crm/orders")).toEqual([
      "customer_id",
      "limit",
      "page",
      "product_id",
      "search",
      "status",
    ]);
    expect(queryParams("/v1/dev/crm/customers")).toEqual(["limit", "page", "search"]);
    expect(queryParams("/v1/dev/products")).toEqual(["limit", "page", "search", "status"]);
  });

  it("request schemas are the validating ones: required fields and no unknown fields", () => {
    const schemas = doc.components.schemas;
    expect(schemas.CreateCustomer.required).toEqual(["name"]);
    expect(schemas.CreateCustomer.additionalProperties).toBe(false);
    expect([...schemas.CreateProduct.required].sort()).toEqual(["name", "price", "units_in_stock"]);
    expect(schemas.CreateProduct.additionalProperties).toBe(false);
    expect([...schemas.CreateOrder.required].sort()).toEqual(["customer_id", "items"]);
    expect(schemas.CreateOrder.additionalProperties).toBe(false);
    expect(schemas.CreateProduct.properties.status.enum).toEqual(["active", "inactive", "discontinued"]);
  });

  it("response schemas list exactly the fields the API returns", async () => {
    const { api } = await newProject();
    const customer = await createCustomer(api, { email: "a@example.com" });
    const product = await createProduct(api, { images: [{ url: "https://x.example/a.png", name: "a" }] });
    const order = await createOrderVia(api, customer.id, product.id);
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties).sort();
    expect(props("Customer")).toEqual(Object.keys(customer).sort());
    expect(props("Product")).toEqual(Object.keys(product).sort());
    expect(props("Order")).toEqual(Object.keys(order).sort());
    expect(props("Image")).toEqual(Object.keys(product.images[0]).sort());
  });
});

describe("documented routes and served routes are the same set", () => {
  it("every route the app serves is documented", () => {
    const served = servedRoutes();
    expect(served.length).toBeGreaterThanOrEqual(16);
    const documented = documentedRoutes();
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it("every documented route is served", () => {
    const served = servedRoutes();
    const documented = documentedRoutes();
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
    expect(documented).toEqual(served);
  });

  it.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))(
    "%s answers with one of its documented statuses, never the generic Not found",
    async (_name, op) => {
      const { key } = await newProject();
      const withBody = op.method === "POST" || op.method === "PUT";
      const res = await call(op.method, `http://orders.test${concretePath(op.path)}`, {
        key: isProtected(op) ? key : undefined,
        ...(withBody ? { body: {} } : {}),
      });
      expect(res.body).not.toEqual(NOT_FOUND);
      expect(Object.keys(op.operation.responses)).toContain(String(res.status));
      expect(res.status).not.toBe(500);
    },
  );

  it("the docs page and the document itself are served without being documented as operations", async () => {
    const docs = await call("GET", "http://orders.test/docs");
    expect(docs.status).toBe(200);
    expect(docs.body).toContain("/v1/dev/openapi.json");
    expect(Object.keys(doc.paths)).not.toContain("/docs");
    expect(Object.keys(doc.paths)).not.toContain("/v1/dev/openapi.json");
  });
});

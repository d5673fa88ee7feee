// The Worker that `npm run bench` serves: the real app, unchanged, plus routes that exist only in this build:
// - baselines (the runtime's own floor, measured in the same run): GET /__bench/hello (bare JSON),
//   GET /__bench/auth (the API-key middleware only), GET /__bench/select (one trivial D1 SELECT);
// - GET /__bench/scan-search?search=&limit=: the orders list as it searched before the FTS index (a
//   case-insensitive instr() scan over the project's orders, same count + page batch, same JSON), to compare;
// - POST /__bench/logs/on|off: whether console.log output leaves the isolate (default on). In `wrangler dev`
//   every log line is shipped to and parsed by the wrangler Node process on the server's core, a cost that a
//   deployed Worker does not pay on its request path; the app still builds each line either way.
// - decomposition routes: the app's fixed per-request layers one by one (request log, key + rate limit, a
//   SELECT through the drizzle D1 session);
// - `X-Bench-Trace: 1` on any request: the request runs with env.DB and env.API_KEYS wrapped in counters and
//   the answer carries `X-Bench-Trace: {roundTrips, statements, maxBoundParams, rowsRead, rowsWritten, kvGets,
//   fullScans, tempBtrees}`; the last two come from EXPLAIN QUERY PLAN of every statement the request ran.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { app } from "../src/app";
import { requireApiKey } from "../src/auth/middleware";
import { useDb } from "../src/db/client";
import { orderItems, orders } from "../src/db/schema";
import type { AppEnv } from "../src/env";
import { handleError, handleNotFound } from "../src/lib/errors";
import { containsText, countWhere } from "../src/lib/list";
import { rateLimit } from "../src/lib/rate-limit";
import { requestContext } from "../src/lib/request-context";
import { serializeOrder } from "../src/orders/orders.serialize";
import type { FullOrder } from "../src/orders/orders.service";
import { withImages } from "../src/products/products.service";
import { CountingD1 } from "../test/support/counting-db";

const printLog = console.log.bind(console);
let printLogs = true;
console.log = (...args: unknown[]) => {
  if (printLogs) printLog(...args);
};

const bench = new Hono<AppEnv>();
bench.onError(handleError);
bench.notFound(handleNotFound);

bench.post("/__bench/logs/:mode{on|off}", (c) => {
  printLogs = c.req.param("mode") === "on";
  return c.json({ logs: printLogs });
});

bench.get("/__bench/hello", (c) => c.json({ hello: "world" }));

bench.get("/__bench/auth", requireApiKey, (c) => c.json({ project_id: c.var.projectId }));

bench.get("/__bench/select", async (c) => c.json(await c.env.DB.prepare("SELECT 1 AS one").first()));

// Decomposition of the app's fixed cost per request (not baselines): each adds one layer of the real stack.
bench.get("/__bench/logged", requestContext, (c) => c.json({ hello: "world" }));
bench.get("/__bench/ratelimit", requireApiKey, rateLimit, (c) => c.json({ project_id: c.var.projectId }));
bench.get("/__bench/session-select", requireApiKey, rateLimit, useDb, async (c) =>
  c.json(await c.var.db.get(sql`SELECT 1 AS one`)),
);

// The list query of src/orders/orders.service.ts before the trigram index (commit c94709a^), for comparison.
const withDetails = {
  customer: { columns: { id: true, name: true, email: true, phone: true, company: true } },
  orderItems: { orderBy: asc(orderItems.position), with: { product: { with: withImages } } },
} as const;

bench.get("/__bench/scan-search", requireApiKey, useDb, async (c) => {
  const search = c.req.query("search")?.trim();
  const limit = Number(c.req.query("limit") ?? 10);
  const db = c.var.db;
  const where = and(
    eq(orders.projectId, c.var.projectId),
    containsText(search, [orders.notes, orders.billingAddress, orders.shippingAddress]),
  );
  const [[counted], rows] = await db.batch([
    countWhere(db, orders, where),
    db.query.orders.findMany({
      where,
      with: withDetails,
      orderBy: [desc(orders.orderDate), desc(orders.createdAt), desc(orders.id)],
      limit,
    }),
  ]);
  return c.json({
    data: (rows as FullOrder[]).map(serializeOrder),
    pagination: { total: counted?.total ?? 0, page: 1, limit },
  });
});

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

const route: Handler = (request, env, ctx) =>
  new URL(request.url).pathname.startsWith("/__bench/") ? bench.fetch(request, env, ctx) : app.fetch(request, env, ctx);

/** env.API_KEYS with every method call counted by name. */
function countingKv(kv: KVNamespace, counts: Record<string, number>): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts[String(property)] = (counts[String(property)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
}

const FULL_SCAN = /^SCAN (orders|order_items|customers|products|product_images|order_counts|idempotency_keys)\b/;

/** Plan lines of the statements a request ran that scan a whole table, or sort in a temporary b-tree. */
async function planFindings(db: D1Database, statements: { sql: string; params: unknown[] }[]) {
  const fullScans: string[] = [];
  const tempBtrees: string[] = [];
  for (const statement of statements) {
    const plan = await db
      .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
      .bind(...statement.params)
      .all<{ detail: string }>();
    for (const { detail } of plan.results) {
      // "SCAN orders" (optionally "USING INDEX x", which walks a whole index) reads the whole table; a SEARCH
      // is bounded by its key. json_each and the FTS virtual table are not tables of ours.
      if (FULL_SCAN.test(detail)) fullScans.push(detail);
      if (detail.includes("TEMP B-TREE")) tempBtrees.push(detail);
    }
  }
  return { fullScans, tempBtrees };
}

async function traced(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const counting = new CountingD1(env.DB, { meterRaw: true });
  const kvCalls: Record<string, number> = {};
  const response = await route(request, { ...env, DB: counting.db, API_KEYS: countingKv(env.API_KEYS, kvCalls) }, ctx);
  const body = await response.arrayBuffer();
  const cost = counting.summary();
  const findings = await planFindings(
    env.DB,
    counting.calls.flatMap((call) => call.statements),
  );
  const trace = {
    status: response.status,
    roundTrips: cost.roundTrips,
    statements: cost.statements,
    maxBoundParams: cost.maxBoundParams,
    rowsRead: cost.rowsRead,
    rowsWritten: cost.rowsWritten,
    unmeteredCalls: cost.unmeteredCalls,
    kvGets: (kvCalls.get ?? 0) + (kvCalls.getWithMetadata ?? 0),
    ...findings,
  };
  if (request.headers.get("X-Bench-Trace") === "plans") {
    // Diagnostics: every statement with its plan and (for reads, re-run alone) its own rows_read.
    const statements = [];
    for (const { sql, params } of counting.calls.flatMap((call) => call.statements)) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const rowsRead = /^\s*(select|with)\b/i.test(sql)
        ? (
            await env.DB.prepare(sql)
              .bind(...params)
              .all()
          ).meta.rows_read
        : null;
      statements.push({ sql, params, rowsRead, plan: plan.results.map((row) => row.detail) });
    }
    return Response.json({ trace, statements });
  }
  const headers = new Headers(response.headers);
  headers.set("X-Bench-Trace", JSON.stringify(trace));
  return new Response(body, { status: response.status, headers });
}

export default {
  fetch(request, env, ctx) {
    return request.headers.get("X-Bench-Trace") ? traced(request, env, ctx) : route(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

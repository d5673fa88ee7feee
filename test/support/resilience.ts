// Helpers for the resilience suites (idempotency, concurrency, rate limits, headers, fuzzing, faults): fault
// injection and raw SQL counts. Builds on api.ts.
import { env } from "cloudflare:test";
import type { Client } from "./api";

/** Tables that carry a project_id, as named in SQL. */
export type Table = "customers" | "products" | "product_images" | "orders" | "order_items" | "idempotency_keys";

/** Rows of `table` belonging to `projectId`, counted with raw SQL against the real local D1 (not through the API). */
export async function countRows(table: Table, projectId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`)
    .bind(projectId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every project table's row count for `projectId`: compare before and after a request that must change nothing. */
export async function countAll(projectId: string): Promise<Record<Table, number>> {
  const tables: Table[] = ["customers", "products", "product_images", "orders", "order_items", "idempotency_keys"];
  const counts = await Promise.all(tables.map((table) => countRows(table, projectId)));
  return Object.fromEntries(tables.map((table, i) => [table, counts[i]])) as Record<Table, number>;
}

/** The `pagination.total` of a list endpoint (e.g. "/crm/orders"). */
export async function listTotal(api: Client, path: string): Promise<number> {
  const res = await api.get(path);
  if (res.status !== 200) throw new Error(`list ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.pagination.total;
}

/** A valid create-order body. */
export const orderBody = (customerId: string, productId: string, extra: Record<string, unknown> = {}) => ({
  customer_id: customerId,
  items: [{ product_id: productId, quantity: 2 }],
  notes: "deliver after 5pm",
  ...extra,
});

export async function createOrder(
  api: Client,
  customerId: string,
  productId: string,
  extra: Record<string, unknown> = {},
) {
  const res = await api.post("/crm/orders", orderBody(customerId, productId, extra));
  if (res.status !== 201) throw new Error(`order setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body every unexpected failure answers with: no SQL, no stack, no binding name. */
export const GENERIC_500 = "Something went wrong";

/** Text that must never reach a client: SQL, D1/SQLite error names, stack frames, source paths. */
export const LEAK_PATTERN = /SELECT|INSERT|sqlite|D1_|at .*\(|\.ts:/i;

// ---------------------------------------------------------------------------------------------------------
// Fault injection: D1 and KV bindings that fail in chosen places. Everything not overridden is the real binding.

/** An error shaped like D1's own: it carries SQL and binding details that must never reach a client. */
export const d1Failure = (where: string) =>
  new Error(
    `D1_ERROR: ${where} failed: SQLITE_ERROR: near "SELECT": syntax error while running SELECT "id" FROM "orders" WHERE "project_id" = ? (env.DB)`,
  );

type SessionLike = Pick<D1DatabaseSession, "prepare" | "batch"> & { getBookmark?: () => string | null };

export type D1Faults = {
  /** prepare() throws (on the database and on every session). */
  prepare?: boolean;
  /** batch() rejects without running anything. */
  batch?: boolean;
  /** withSession() throws. */
  withSession?: boolean;
  /** Statement execution (first/all/run/raw) rejects. */
  statements?: boolean;
  /**
   * Replaces batch(): receives the statements and the session's own prepare and batch, returns the results.
   * Use it to append a failing statement to a real batch, or to run a real batch and then fail.
   */
  batchWith?: (
    statements: D1PreparedStatement[],
    real: { prepare: (sql: string) => D1PreparedStatement; batch: D1DatabaseSession["batch"] },
  ) => Promise<D1Result[]>;
  /** Only batches whose SQL matches this are affected by `batch`/`batchWith` (default: every batch). */
  when?: RegExp;
  /** Statements whose SQL matches this fail when run on their own (first/all/run/raw). */
  failStatementsMatching?: RegExp;
};

function failingStatement(inner: D1PreparedStatement): D1PreparedStatement {
  const reject = () => Promise.reject(d1Failure("statement"));
  const statement = {
    bind: (...values: unknown[]) => failingStatement(inner.bind(...values)),
    first: reject,
    all: reject,
    run: reject,
    raw: reject,
  };
  return statement as unknown as D1PreparedStatement;
}

/** The SQL text of a workerd prepared statement (used to decide whether a fault applies). */
export const sqlOf = (statement: D1PreparedStatement) =>
  String((statement as unknown as { statement?: string }).statement ?? "");

function faultySession(real: SessionLike, faults: D1Faults): SessionLike {
  const applies = (statements: D1PreparedStatement[]) =>
    !faults.when || statements.some((statement) => faults.when?.test(sqlOf(statement)));
  return {
    prepare: (sql: string) => {
      if (faults.prepare) throw d1Failure("prepare");
      const statement = real.prepare(sql);
      const fails = faults.statements || faults.failStatementsMatching?.test(sql);
      return fails ? failingStatement(statement) : statement;
    },
    batch: (async (statements: D1PreparedStatement[]) => {
      // Failing statements cannot run inside a real batch either.
      if (faults.statements) throw d1Failure("batch statement");
      if (!applies(statements)) return real.batch(statements);
      if (faults.batch) throw d1Failure("batch");
      if (faults.batchWith) {
        return faults.batchWith(statements, { prepare: (sql) => real.prepare(sql), batch: (s) => real.batch(s) });
      }
      return real.batch(statements);
    }) as D1DatabaseSession["batch"],
    getBookmark: () => real.getBookmark?.() ?? null,
  };
}

/** A D1 binding over the real local database with the given faults injected (on the database and its sessions). */
export function faultyD1(faults: D1Faults, real: D1Database = env.DB): D1Database {
  const database = faultySession(real, faults);
  return {
    ...database,
    exec: (query: string) => real.exec(query),
    dump: () => real.dump(),
    withSession: (constraintOrBookmark?: string) => {
      if (faults.withSession) throw d1Failure("withSession");
      return faultySession(real.withSession(constraintOrBookmark), faults) as D1DatabaseSession;
    },
  } as unknown as D1Database;
}

/**
 * A statement that compiles but fails inside D1 when it runs (integer overflow), so that a batch it ends
 * runs every earlier statement first and must then roll them all back.
 */
export const RUNTIME_FAILURE_SQL = "SELECT abs(-9223372036854775807 - 1)";

/** batchWith: the real batch plus one statement that fails at run time, appended at the end. */
export const appendFailingStatement: NonNullable<D1Faults["batchWith"]> = (statements, real) =>
  real.batch([...statements, real.prepare(RUNTIME_FAILURE_SQL)]);

/** batchWith: the real batch commits, then the answer is lost (the client sees a failure after the write). */
export const commitThenFail: NonNullable<D1Faults["batchWith"]> = async (statements, real) => {
  await real.batch(statements);
  throw d1Failure("connection lost after commit");
};

/** A KV namespace whose reads throw (an outage), or return `value` instead of what is stored. */
export function faultyKv(mode: { throws: true } | { returns: string }): KVNamespace {
  const get = async () => {
    if ("throws" in mode) throw new Error("KV GET failed: 503 Service Unavailable (namespace API_KEYS)");
    return JSON.parse(mode.returns);
  };
  return { ...env.API_KEYS, get, getWithMetadata: get } as unknown as KVNamespace;
}

/** Waits until the current fixed rate-limit window (of `periodSeconds`) has at least `needMs` left. */
export async function atStartOfWindow(periodSeconds: number, needMs: number) {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await sleep(left + 20);
}

/**
 * A counting wrapper around a D1 binding, for tests that assert how the app talks to the database.
 *
 * Usage (the app makes its drizzle client from `env.DB.withSession(...)`, which the wrapper follows):
 *
 *   import { env } from "cloudflare:test";
 *   const counting = new CountingD1(env.DB);
 *   const res = await call("GET", `/crm/orders/${id}`, { key, env: { ...env, DB: counting.db } });
 *   expect(counting.roundTrips).toBe(1);
 *   counting.reset(); // before measuring the next request
 *
 * What is counted:
 * - a round trip is one call that reaches D1: each `first`/`all`/`run`/`raw` of a statement, each `batch`,
 *   each `exec`; on the database itself or on any session made by `withSession` (`prepare`, `bind` and
 *   `getBookmark` are local and cost nothing);
 * - statements: every statement a round trip carries (a batch of 3 counts 3; `exec` counts its lines);
 * - bound parameters: the values given to `bind(...)` of each statement (D1 allows at most 100);
 * - rows read / written: summed from the `meta` D1 returns. `first()` and `raw()` do not return meta, so
 *   their rows are unknown: `unmeteredCalls` counts them. Pass `{ meterRaw: true }` to run `raw()` as a
 *   one-statement batch (same round trip, same rows, converted to arrays exactly as drizzle converts batch
 *   results) so that its meta is observed too;
 * - the SQL text of every statement, in execution order (`sql`), and one record per call (`calls`).
 *
 * Fault injection: `rewriteBatch` sees each batch before it is sent and may return other statements to send
 * instead. `failBatchWhen(match)` builds one that appends (or substitutes for the last statement) a statement
 * failing inside D1, so the real batch runs and D1 rolls it back:
 *
 *   const counting = new CountingD1(env.DB, {
 *     rewriteBatch: failBatchWhen((statements) => statements.some((s) => /^insert into "order_items"/i.test(s.sql))),
 *   });
 *
 * Failed calls are recorded too (with `error`) and count as round trips.
 */

export type D1Method = "first" | "all" | "run" | "raw" | "batch" | "exec";

export type StatementRecord = {
  sql: string;
  params: unknown[];
};

export type CallRecord = {
  method: D1Method;
  /** "db" for the binding itself, "session" for a D1 session made by withSession. */
  via: "db" | "session";
  statements: StatementRecord[];
  /** Summed from the result meta; null when D1 returned no meta (first, raw) or the call failed. */
  rowsRead: number | null;
  rowsWritten: number | null;
  /** The error message when the call threw. */
  error?: string;
};

export type BatchRewrite = (
  statements: readonly StatementRecord[],
  tools: { prepare: (sql: string) => D1PreparedStatement; original: D1PreparedStatement[] },
) => D1PreparedStatement[] | undefined;

export type CountingOptions = {
  /** Run raw() as a one-statement batch so its rows_read/rows_written are observed (default false). */
  meterRaw?: boolean;
  /** Sees each batch before it is sent; return statements to send instead, or undefined to send it as is. */
  rewriteBatch?: BatchRewrite;
};

export type CountingSummary = {
  roundTrips: number;
  statements: number;
  maxBoundParams: number;
  rowsRead: number;
  rowsWritten: number;
  unmeteredCalls: number;
  methods: D1Method[];
};

/** A statement that always fails inside D1 (for fault injection). */
export const FAILING_SQL = "SELECT * FROM no_such_table_injected_failure";

type Target = D1Database | D1DatabaseSession;

export class CountingD1 {
  /** Every call that reached D1, in order. */
  readonly calls: CallRecord[] = [];
  /** The binding to hand to the app: `env: { ...env, DB: counting.db }`. */
  readonly db: D1Database;

  constructor(
    readonly inner: D1Database,
    readonly options: CountingOptions = {},
  ) {
    this.db = this.wrapDatabase(inner);
  }

  /** Forget everything recorded so far. */
  reset(): void {
    this.calls.length = 0;
  }

  get roundTrips(): number {
    return this.calls.length;
  }

  get statements(): number {
    return this.calls.reduce((sum, call) => sum + call.statements.length, 0);
  }

  /** The largest number of values bound to one statement. */
  get maxBoundParams(): number {
    return Math.max(0, ...this.calls.flatMap((call) => call.statements.map((s) => s.params.length)));
  }

  get rowsRead(): number {
    return this.calls.reduce((sum, call) => sum + (call.rowsRead ?? 0), 0);
  }

  get rowsWritten(): number {
    return this.calls.reduce((sum, call) => sum + (call.rowsWritten ?? 0), 0);
  }

  /** Calls whose rows D1 did not report (first, raw without meterRaw, failures). */
  get unmeteredCalls(): number {
    return this.calls.filter((call) => call.rowsRead === null).length;
  }

  /** The SQL of every statement sent, in order. */
  get sql(): string[] {
    return this.calls.flatMap((call) => call.statements.map((s) => s.sql));
  }

  /** The method of each round trip, in order (e.g. ["batch", "batch"]). */
  get methods(): D1Method[] {
    return this.calls.map((call) => call.method);
  }

  summary(): CountingSummary {
    return {
      roundTrips: this.roundTrips,
      statements: this.statements,
      maxBoundParams: this.maxBoundParams,
      rowsRead: this.rowsRead,
      rowsWritten: this.rowsWritten,
      unmeteredCalls: this.unmeteredCalls,
      methods: this.methods,
    };
  }

  /** Runs `action`, returning its result together with what it cost (counted from a reset). */
  async measure<T>(action: () => Promise<T>): Promise<{ result: T; cost: CountingSummary; calls: CallRecord[] }> {
    this.reset();
    const result = await action();
    return { result, cost: this.summary(), calls: [...this.calls] };
  }

  private async record<R>(
    method: D1Method,
    via: CallRecord["via"],
    statements: StatementRecord[],
    run: () => Promise<R>,
    metaOf: (result: R) => (Partial<D1Meta> | undefined)[] | undefined,
  ): Promise<R> {
    const call: CallRecord = { method, via, statements, rowsRead: null, rowsWritten: null };
    this.calls.push(call);
    try {
      const result = await run();
      const metas = metaOf(result);
      if (metas?.every((meta) => meta !== undefined)) {
        call.rowsRead = metas.reduce((sum, meta) => sum + (meta?.rows_read ?? 0), 0);
        call.rowsWritten = metas.reduce((sum, meta) => sum + (meta?.rows_written ?? 0), 0);
      }
      return result;
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  private wrapStatement(target: Target, via: CallRecord["via"], inner: D1PreparedStatement, sql: string) {
    return new CountingStatement(this, target, via, inner, { sql, params: [] });
  }

  private batchOn(target: Target, via: CallRecord["via"]) {
    return async <T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> => {
      const original = statements.map(unwrap);
      let records = statements.map(recordOf);
      let toSend = original;
      const rewritten = this.options.rewriteBatch?.(records, {
        prepare: (sql) => target.prepare(sql),
        original,
      });
      if (rewritten) {
        toSend = rewritten.map(unwrap);
        records = rewritten.map((statement) => recordOf(statement));
      }
      return this.record(
        "batch",
        via,
        records,
        () => target.batch<T>(toSend),
        (results) => results.map((r) => r.meta),
      );
    };
  }

  private wrapSession(session: D1DatabaseSession): D1DatabaseSession {
    const wrapped: D1DatabaseSession = {
      prepare: (sql: string) => this.wrapStatement(session, "session", session.prepare(sql), sql),
      batch: this.batchOn(session, "session"),
      getBookmark: () => session.getBookmark(),
    };
    return wrapped;
  }

  private wrapDatabase(db: D1Database): D1Database {
    const wrapped: D1Database = {
      prepare: (sql: string) => this.wrapStatement(db, "db", db.prepare(sql), sql),
      batch: this.batchOn(db, "db"),
      exec: (query: string) =>
        this.record(
          "exec",
          "db",
          query
            .trim()
            .split("\n")
            .map((line) => ({ sql: line, params: [] })),
          () => db.exec(query),
          () => undefined,
        ),
      withSession: (constraintOrBookmark?: string) => this.wrapSession(db.withSession(constraintOrBookmark)),
      dump: () => db.dump(),
    };
    return wrapped;
  }

  /** @internal used by CountingStatement: records one statement's execution as one round trip. */
  recordStatement<R>(
    method: D1Method,
    via: CallRecord["via"],
    statement: StatementRecord,
    execute: () => Promise<R>,
    metaOf: (result: R) => (Partial<D1Meta> | undefined)[] | undefined,
  ): Promise<R> {
    return this.record(method, via, [statement], execute, metaOf);
  }
}

const INNER = Symbol("counting-d1-inner");

/** A prepared statement that reports its executions to a CountingD1. */
class CountingStatement implements D1PreparedStatement {
  readonly [INNER]: D1PreparedStatement;

  constructor(
    private readonly counting: CountingD1,
    private readonly target: Target,
    private readonly via: CallRecord["via"],
    inner: D1PreparedStatement,
    readonly record: StatementRecord,
  ) {
    this[INNER] = inner;
  }

  bind(...values: unknown[]): D1PreparedStatement {
    return new CountingStatement(this.counting, this.target, this.via, this[INNER].bind(...values), {
      sql: this.record.sql,
      params: values,
    });
  }

  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  first<T>(colName?: string): Promise<T | null> {
    const inner = this[INNER];
    return this.counting.recordStatement(
      "first",
      this.via,
      this.record,
      () => (colName === undefined ? inner.first<T>() : inner.first<T>(colName)),
      () => undefined,
    );
  }

  run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.counting.recordStatement(
      "run",
      this.via,
      this.record,
      () => this[INNER].run<T>(),
      (result) => [result.meta],
    );
  }

  all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.counting.recordStatement(
      "all",
      this.via,
      this.record,
      () => this[INNER].all<T>(),
      (result) => [result.meta],
    );
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    const inner = this[INNER];
    if (!this.counting.options.meterRaw || options?.columnNames) {
      return this.counting.recordStatement(
        "raw",
        this.via,
        this.record,
        () => inner.raw(options as { columnNames?: false }),
        () => undefined,
      );
    }
    // Same round trip as raw(), but through batch so that D1's meta comes back. Rows are converted to arrays
    // the way drizzle converts batch results (Object.keys order), so column names must be unique.
    let meta: D1Meta | undefined;
    return this.counting.recordStatement(
      "raw",
      this.via,
      this.record,
      async () => {
        const [result] = await this.target.batch<Record<string, unknown>>([inner]);
        meta = result?.meta;
        return (result?.results ?? []).map((row) => Object.keys(row).map((key) => row[key]));
      },
      () => [meta],
    );
  }
}

function unwrap(statement: D1PreparedStatement): D1PreparedStatement {
  return statement instanceof CountingStatement ? statement[INNER] : statement;
}

function recordOf(statement: D1PreparedStatement): StatementRecord {
  if (statement instanceof CountingStatement) return statement.record;
  // A statement prepared elsewhere (e.g. by a rewriteBatch hook): read what workerd's statement exposes.
  const raw = statement as unknown as { statement?: unknown; params?: unknown };
  return {
    sql: typeof raw.statement === "string" ? raw.statement : "<unknown>",
    params: Array.isArray(raw.params) ? raw.params : [],
  };
}

/** A rewriteBatch hook that makes every batch matching `when` fail inside D1 after running its statements. */
export function failBatchWhen(
  when: (statements: readonly StatementRecord[]) => boolean,
  how: "append" | "replace-last" = "append",
): BatchRewrite {
  return (statements, { prepare, original }) => {
    if (!when(statements)) return undefined;
    const failing = prepare(FAILING_SQL);
    return how === "append" ? [...original, failing] : [...original.slice(0, -1), failing];
  };
}

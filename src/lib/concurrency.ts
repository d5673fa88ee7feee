import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "./errors";

// Optimistic concurrency. Each row carries `etag`, a random token replaced by every write and sent as the
// ETag header. PUT and DELETE accept If-Match; the comparison is part of the write's own WHERE clause, so
// two writers holding the same ETag can never both succeed.

/** undefined: no precondition; "*": the row must exist; otherwise the strong ETags the client accepts. */
export type IfMatch = undefined | "*" | string[];

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return "*";
  const tags = [...value.matchAll(/(W\/)?"([^"]*)"/g)].filter((m) => !m[1]).map((m) => m[2] as string);
  // A header that names no strong ETag can match nothing (weak ETags never match If-Match).
  return tags;
}

export const etagHeader = (etag: string) => `"${etag}"`;

/**
 * The WHERE condition that makes a write conditional on If-Match, or undefined when there is none. The ETags
 * travel as one JSON parameter: a client may list any number of them, and D1 allows 100 bound parameters per
 * statement (one per ETag made a long If-Match a 500). An empty list matches nothing.
 */
export function etagCondition(column: SQLiteColumn, ifMatch: IfMatch): SQL | undefined {
  if (ifMatch === undefined || ifMatch === "*") return undefined;
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ifMatch)}))`;
}

export const preconditionFailed = () =>
  new ApiError(412, "The resource was changed since you read it (If-Match does not match its ETag)");

export const newEtag = () => crypto.randomUUID().replaceAll("-", "");

import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../env";

/**
 * One INSERT for any number of rows: the rows travel as a single JSON parameter expanded by json_each, so
 * a 100-line order binds 1 parameter instead of 800 (D1 allows 100 per statement). `onlyIf` makes the whole
 * insert conditional (used to tie a child insert to the conditional write of its parent in the same batch).
 */
export function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: T["$inferInsert"][], onlyIf?: SQL) {
  // Column order is the table's, as INSERT ... SELECT requires; property names come from the schema, never
  // from a request, so inlining them is safe.
  const values = Object.keys(getTableColumns(table))
    .map((property) => `value ->> '$.${property}'`)
    .join(", ");
  const where = onlyIf ? sql` WHERE ${onlyIf}` : sql``;
  return db.insert(table).select(sql`SELECT ${sql.raw(values)} FROM json_each(${JSON.stringify(rows)})${where}`);
}

/** More statements for a create's write batch, built from the created resource (e.g. its idempotency record). */
export type AlsoWrite<T> = (created: T) => BatchItem<"sqlite">[];
export const nothingElse = () => [];

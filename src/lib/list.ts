import { count, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../env";

/**
 * Case-insensitive substring match over some columns: instr() has no wildcards and no pattern size limit.
 * Both sides go through SQLite's lower() (ASCII folding only), so text typed as stored always matches.
 */
export function containsText(term: string | undefined, columns: SQLiteColumn[]): SQL | undefined {
  if (!term) return undefined;
  return sql`(${sql.join(
    columns.map((column) => sql`instr(lower(${column}), lower(${term})) > 0`),
    sql` OR `,
  )})`;
}

/** The statement counting a list's matching rows; it runs in the same batch as the page query. */
export const countWhere = (db: Db, table: SQLiteTable, where: SQL | undefined) =>
  db.select({ total: count() }).from(table).where(where);

export const offsetOf = (page: number, limit: number) => (page - 1) * limit;

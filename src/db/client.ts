import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Db } from "../env";
import { badRequest } from "../lib/errors";
import * as schema from "./schema";

export const BOOKMARK_HEADER = "X-D1-Bookmark";
const BOOKMARK_PATTERN = /^[0-9a-f]{8}(-[0-9a-f]{8}){2,3}(-[0-9a-f]{1,64})?$/i;

export const createDb = (client: D1Database | D1DatabaseSession): Db =>
  // A D1 session has the prepare/batch surface drizzle uses; only the declared type differs.
  drizzle(client as D1Database, { schema });

/**
 * One drizzle client per request on a D1 session (Sessions API): reads may be served by a replica no older
 * than the client's last bookmark, writes go to the primary, and the response carries the newest bookmark
 * so a client that echoes it always reads its own writes.
 */
export const useDb = createMiddleware<AppEnv>(async (c, next) => {
  const bookmark = c.req.header(BOOKMARK_HEADER)?.trim();
  if (bookmark && !BOOKMARK_PATTERN.test(bookmark)) throw badRequest(`${BOOKMARK_HEADER} is not a D1 bookmark`);
  const session = c.env.DB.withSession(bookmark || "first-unconstrained");
  c.set("db", createDb(session));
  await next();
  const latest = session.getBookmark();
  if (latest) c.header(BOOKMARK_HEADER, latest);
});

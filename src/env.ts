import type { DrizzleD1Database } from "drizzle-orm/d1";
import type * as schema from "./db/schema";

/** The request's drizzle client; `$client` is the D1 session it runs on (for statements built ahead of time). */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database | D1DatabaseSession };

export type AppEnv = {
  Bindings: Env;
  Variables: {
    db: Db;
    /** The project (CRM workspace) of the verified API key; every query is scoped by it. */
    projectId: string;
    requestId: string;
  };
};

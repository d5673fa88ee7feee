import { app } from "./app";
import { createDb } from "./db/client";
import { pruneIdempotencyKeys } from "./idempotency/idempotency";

export type { AppType } from "./app";

export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    const pruned = await pruneIdempotencyKeys(createDb(env.DB));
    console.log(JSON.stringify({ level: "info", msg: "pruned idempotency keys", pruned }));
  },
} satisfies ExportedHandler<Env>;

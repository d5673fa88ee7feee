import { and, eq, lt, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { idempotencyKeys } from "../db/schema";
import type { AppEnv, Db } from "../env";
import { ApiError, badRequest } from "../lib/errors";

// Idempotency-Key on POST. The first request claims the key; the write batch that creates the resource also
// stores the response (`remember`), so a replay within 24 h answers the same status and body with
// `Idempotent-Replayed: true` and creates nothing. Keys are scoped per project and bound to the request:
// the same key with a different body or path is a 422; a duplicate of a request still in flight is a 409.

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** A claim older than this belongs to a request that died (Workers requests do not run this long). */
const STALE_CLAIM_MS = 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Statements to add to the creating write batch; empty when the request has no Idempotency-Key. */
export type Remember = (status: number, body: unknown) => BatchItem<"sqlite">[];

async function sha256(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const byKey = (projectId: string, key: string) =>
  and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key));

async function claim(db: Db, projectId: string, key: string, requestHash: string) {
  const now = Date.now();
  const token = crypto.randomUUID();
  const [claimed, [existing]] = await db.batch([
    db
      .insert(idempotencyKeys)
      .values({ projectId, key, token, requestHash, state: "in_flight", createdAt: now })
      .onConflictDoUpdate({
        target: [idempotencyKeys.projectId, idempotencyKeys.key],
        set: { token, requestHash, state: "in_flight", responseStatus: null, responseBody: null, createdAt: now },
        // An expired record, or the claim of a request that died, may be taken over.
        setWhere: or(
          lt(idempotencyKeys.createdAt, now - REPLAY_WINDOW_MS),
          and(eq(idempotencyKeys.state, "in_flight"), lt(idempotencyKeys.createdAt, now - STALE_CLAIM_MS)),
        ),
      })
      .returning({ token: idempotencyKeys.token }),
    db.select().from(idempotencyKeys).where(byKey(projectId, key)),
  ]);
  return { token, owned: claimed[0]?.token === token, existing };
}

/**
 * Runs a create handler under the request's Idempotency-Key (if any). `run` receives `remember`, whose
 * statements it must put in its own write batch.
 */
export async function idempotent<R extends Response>(
  c: Context<AppEnv>,
  input: unknown,
  run: (remember: Remember) => Promise<R>,
): Promise<R> {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) return run(() => []);
  if (!KEY_PATTERN.test(key)) {
    throw badRequest(`${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters`);
  }
  const { db, projectId } = c.var;
  const requestHash = await sha256(`${c.req.method} ${c.req.path}\n${JSON.stringify(input)}`);
  const { token, owned, existing } = await claim(db, projectId, key, requestHash);

  if (!owned) {
    if (!existing || existing.requestHash !== requestHash) {
      throw new ApiError(422, `${IDEMPOTENCY_HEADER} was already used for a different request`);
    }
    if (existing.state === "in_flight") {
      throw new ApiError(
        409,
        `A request with this ${IDEMPOTENCY_HEADER} is still in progress; retry later`,
        undefined,
        {
          "Retry-After": "1",
        },
      );
    }
    // The stored answer of the first request: the same status and body that `run` produced then.
    return new Response(existing.responseBody, {
      status: existing.responseStatus ?? 200,
      headers: { "Content-Type": "application/json", "Idempotent-Replayed": "true" },
    }) as R;
  }

  const remember: Remember = (status, body) => [
    db
      .update(idempotencyKeys)
      .set({ state: "done", responseStatus: status, responseBody: JSON.stringify(body) })
      .where(and(byKey(projectId, key), eq(idempotencyKeys.token, token))),
  ];
  try {
    return await run(remember);
  } catch (error) {
    // Nothing was created: free the key so that the client can retry it once the problem is fixed.
    await db
      .delete(idempotencyKeys)
      .where(and(byKey(projectId, key), eq(idempotencyKeys.token, token), eq(idempotencyKeys.state, "in_flight")))
      .catch(() => {});
    throw error;
  }
}

/** Cron: forget records older than the replay window. */
export async function pruneIdempotencyKeys(db: Db, now = Date.now()) {
  const result = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, now - REPLAY_WINDOW_MS));
  return result.meta.changes ?? 0;
}

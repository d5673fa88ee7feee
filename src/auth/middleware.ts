import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError, INVALID_API_KEY } from "../lib/errors";
import { hashApiKey, isExpired, isKeyRecord, type KeyRecord, looksLikeApiKey } from "./keys";

// Verified keys are cached per isolate for API_KEY_CACHE_SECONDS (default 30) so that a busy client costs
// one KV read per window, not one per request. Only valid records are cached; a KV failure throws (500),
// so an outage never lets a request through.
const cache = new Map<string, { record: KeyRecord; until: number }>();
const MAX_CACHED_KEYS = 1_000;

const unauthorized = () =>
  new ApiError(401, INVALID_API_KEY, undefined, {
    "WWW-Authenticate": "Bearer",
  });

export function cacheSeconds(env: Env): number {
  const seconds = Number(env.API_KEY_CACHE_SECONDS ?? 30);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 30) : 30;
}

async function lookUp(env: Env, hash: string): Promise<KeyRecord | null> {
  const now = Date.now();
  const cached = cache.get(hash);
  if (cached && cached.until > now) return cached.record;
  cache.delete(hash);
  const record = await env.API_KEYS.get<unknown>(hash, "json");
  if (!isKeyRecord(record)) return null;
  const ttl = cacheSeconds(env) * 1000;
  if (ttl > 0) {
    if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
    cache.set(hash, { record, until: now + ttl });
  }
  return record;
}

export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const match = /^Bearer +(\S+) *$/i.exec(c.req.header("Authorization") ?? "");
  const key = match?.[1];
  if (!key || !looksLikeApiKey(key)) throw unauthorized();
  const record = await lookUp(c.env, await hashApiKey(key));
  if (!record || isExpired(record)) throw unauthorized();
  c.set("projectId", record.project_id);
  await next();
});

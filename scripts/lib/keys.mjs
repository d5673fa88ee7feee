// Node twin of src/auth/keys.ts for the scripts (plain node cannot import the TypeScript module).
// The format MUST stay identical to src/auth/keys.ts: `oak_` + 43 base64url characters (32 random bytes),
// and KV stores a key under the lowercase hex SHA-256 of the full key string.
import { createHash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "oak_";
const KEY_PATTERN = /^oak_[A-Za-z0-9_-]{43}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `oak_` + base64url(32 random bytes) without padding: 43 characters, as generateApiKey() in src/auth/keys.ts. */
export const generateApiKey = () => KEY_PREFIX + randomBytes(32).toString("base64url");

export const looksLikeApiKey = (key) => KEY_PATTERN.test(key);

/** Lowercase hex SHA-256 of the full key (prefix included), as hashApiKey() in src/auth/keys.ts. */
export const hashApiKey = (key) => createHash("sha256").update(key, "utf8").digest("hex");

export const isUuid = (value) => UUID_PATTERN.test(value);

/** The KV record (stored as the value and, identically, as the entry's metadata). */
export function keyRecord({ projectId, name, createdAt = new Date(), expiresAt = null }) {
  return {
    project_id: projectId.toLowerCase(),
    name,
    created_at: createdAt.toISOString(),
    expires_at: expiresAt ? expiresAt.toISOString() : null,
  };
}

// API keys: `oak_` + 43 base64url characters (256 random bits). KV stores only the SHA-256 of a key,
// so a leaked KV namespace reveals no usable key. This module is shared by the Worker and the keys CLI.

export const KEY_PREFIX = "oak_";
const KEY_PATTERN = /^oak_[A-Za-z0-9_-]{43}$/;

export type KeyRecord = {
  project_id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
};

export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return KEY_PREFIX + base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const looksLikeApiKey = (key: string) => KEY_PATTERN.test(key);

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function isKeyRecord(value: unknown): value is KeyRecord {
  if (!value || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.project_id === "string" &&
    (record.expires_at === null || record.expires_at === undefined || typeof record.expires_at === "string")
  );
}

export function isExpired(record: KeyRecord, now = Date.now()): boolean {
  if (!record.expires_at) return false;
  const expiresAt = Date.parse(record.expires_at);
  return Number.isNaN(expiresAt) || expiresAt <= now;
}

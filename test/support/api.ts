import { env } from "cloudflare:test";
import { app } from "../../src/app";
import { generateApiKey, hashApiKey, type KeyRecord } from "../../src/auth/keys";

export const BASE = "http://orders.test/v1/dev";

export const newProjectId = () => crypto.randomUUID();

/** Stores a key for `projectId` in the real (local) KV namespace, exactly as `npm run keys -- create` does. */
export async function createKey(projectId = newProjectId(), record: Partial<KeyRecord> = {}) {
  const key = generateApiKey();
  const full: KeyRecord = {
    project_id: projectId,
    name: "test",
    created_at: new Date().toISOString(),
    expires_at: null,
    ...record,
  };
  await env.API_KEYS.put(await hashApiKey(key), JSON.stringify(full));
  return { key, projectId };
}

export async function revokeKey(key: string) {
  await env.API_KEYS.delete(await hashApiKey(key));
}

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers };

type CallOptions = {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  env?: Env;
};

/** Sends a request through the Worker's app against the real local D1 and KV bindings. */
export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  if (options.key) headers.set("Authorization", `Bearer ${options.key}`);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const url = path.startsWith("http") ? path : `${BASE}${path}`;
  const response = await app.request(url, { method, headers, body }, options.env ?? env);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** A client bound to one project's key. */
export function client(key: string) {
  return {
    get: <T = any>(path: string, o: CallOptions = {}) => call<T>("GET", path, { key, ...o }),
    post: <T = any>(path: string, body?: unknown, o: CallOptions = {}) => call<T>("POST", path, { key, body, ...o }),
    put: <T = any>(path: string, body?: unknown, o: CallOptions = {}) => call<T>("PUT", path, { key, body, ...o }),
    delete: <T = any>(path: string, o: CallOptions = {}) => call<T>("DELETE", path, { key, ...o }),
  };
}

export type Client = ReturnType<typeof client>;

/** A fresh project with its own key and client. */
export async function newProject() {
  const { key, projectId } = await createKey();
  return { key, projectId, api: client(key) };
}

export async function createCustomer(api: Client, body: Record<string, unknown> = {}) {
  const res = await api.post("/crm/customers", { name: "Ada Lovelace", email: "ada@example.com", ...body });
  if (res.status !== 201) throw new Error(`customer setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export async function createProduct(api: Client, body: Record<string, unknown> = {}) {
  const res = await api.post("/products", { name: "Widget", price: 10, units_in_stock: 5, ...body });
  if (res.status !== 201) throw new Error(`product setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

// `npm run dev [-- extra wrangler dev args]`: prepares local state, then runs `wrangler dev`.
//   1. copies the API reference bundle into public/vendor (scripts/prepare-assets.mjs)
//   2. applies D1 migrations locally, then seeds a demo project (fixed ids, INSERT OR IGNORE: a rerun adds nothing)
//   3. (at the same time as 2) stores the demo API key, kept in .wrangler/demo-api-key, in local KV
//   4. prints the key, a ready-to-paste curl and the docs URL, then hands over to `wrangler dev`
// Each wrangler step prints one line; on failure its whole output is shown and the script exits 1.
// `--port`, `--local-protocol`, `--env` and `--persist-to` in the extra args are honoured by steps 2-4 too.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey, hashApiKey, keyRecord, looksLikeApiKey } from "./lib/keys.mjs";
import { root, runWrangler, wranglerCommand } from "./lib/wrangler.mjs";

const DEMO_PROJECT_ID = "de30de30-0000-4000-8000-000000000001";
const DEMO_KEY_FILE = join(root, ".wrangler/demo-api-key");
const BASE_PATH = "/v1/dev";

const extraArgs = process.argv.slice(2);
const started = Date.now();

/** The value of `--name value` or `--name=value` among the extra args. */
function argValue(names) {
  for (let i = 0; i < extraArgs.length; i++) {
    for (const name of names) {
      if (extraArgs[i] === name) return extraArgs[i + 1];
      if (extraArgs[i].startsWith(`${name}=`)) return extraArgs[i].slice(name.length + 1);
    }
  }
  return undefined;
}

const port = argValue(["--port"]) ?? "8787";
const protocol = argValue(["--local-protocol"]) === "https" ? "https" : "http";
const wranglerEnv = argValue(["--env", "-e"]);
const persistTo = argValue(["--persist-to"]);
// Flags that make the preparation steps address the same local state as `wrangler dev` will.
const localFlags = [
  "--local",
  ...(wranglerEnv ? ["--env", wranglerEnv] : []),
  ...(persistTo ? ["--persist-to", persistTo] : []),
];

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

function failStep(title, output) {
  console.error(`✘ ${title} failed:\n${output.trim()}`);
  process.exit(1);
}

/** Runs one wrangler step; resolves to its result (failures are reported once all parallel steps settled). */
async function step(title, args, env) {
  const since = Date.now();
  const result = await runWrangler(args, { env });
  return { ...result, title, took: seconds(since) };
}

// ---------------------------------------------------------------- demo data (fixed ids: every run is idempotent)

const at = (minute) => Date.UTC(2024, 0, 15, 9, 0) + minute * 60_000; // epoch ms
const etag = () => randomBytes(16).toString("hex"); // only used when a row is first inserted
const id = (kind, n) => `de30de30-${kind}-4000-8000-${String(n).padStart(12, "0")}`;

const customers = [
  {
    id: id("c000", 1),
    name: "Ada Lovelace",
    email: "ada@example.com",
    phone: "+44 20 7946 0001",
    company: "Analytical Engines Ltd",
  },
  {
    id: id("c000", 2),
    name: "Grace Hopper",
    email: "grace@example.com",
    phone: "+1 202 555 0102",
    company: "COBOL Systems",
  },
  { id: id("c000", 3), name: "Alan Turing", email: "alan@example.com", phone: null, company: null },
];
const products = [
  {
    id: id("b000", 1),
    name: "Premium Widget",
    sku: "WID-001",
    price_cents: 9999,
    units_in_stock: 100,
    status: "active",
    description: "Our best-selling widget.",
  },
  {
    id: id("b000", 2),
    name: "Gadget",
    sku: "GAD-001",
    price_cents: 1050,
    units_in_stock: 250,
    status: "active",
    description: null,
  },
  {
    id: id("b000", 3),
    name: "Gizmo Pro",
    sku: "GIZ-PRO",
    price_cents: 24900,
    units_in_stock: 12,
    status: "active",
    description: "For professionals.",
  },
  {
    id: id("b000", 4),
    name: "Sprocket (pack of 10)",
    sku: "SPR-010",
    price_cents: 499,
    units_in_stock: 0,
    status: "inactive",
    description: null,
  },
  {
    id: id("b000", 5),
    name: "Doohickey",
    sku: "DOO-001",
    price_cents: 150,
    units_in_stock: 3,
    status: "discontinued",
    description: "No longer made.",
  },
];
const images = [
  {
    id: id("1000", 1),
    product_id: products[0].id,
    position: 0,
    url: "https://example.com/images/widget-front.jpg",
    name: "Front",
  },
  {
    id: id("1000", 2),
    product_id: products[0].id,
    position: 1,
    url: "https://example.com/images/widget-back.jpg",
    name: "Back",
  },
  {
    id: id("1000", 3),
    product_id: products[2].id,
    position: 0,
    url: "https://example.com/images/gizmo-pro.jpg",
    name: null,
  },
];
const orderLines = (orderId, lines) =>
  lines.map(([product, quantity], position) => ({
    id: id("a100", Number.parseInt(orderId.slice(-4), 10) * 10 + position),
    order_id: orderId,
    product_id: product.id,
    position,
    quantity,
    unit_price_cents: product.price_cents,
    total_cents: product.price_cents * quantity,
  }));
const items1 = orderLines(id("a000", 1), [
  [products[0], 2],
  [products[1], 1],
]);
const items2 = orderLines(id("a000", 2), [[products[2], 1]]);
const orders = [
  {
    id: id("a000", 1),
    customer_id: customers[0].id,
    status: "pending",
    order_date: at(60),
    items: items1,
    shipping_address: "123 Main St, City, State 12345",
    notes: "Please handle with care",
  },
  {
    id: id("a000", 2),
    customer_id: customers[1].id,
    status: "shipped",
    order_date: at(120),
    items: items2,
    shipping_address: "1 Navy Way, Arlington, VA 22202",
    notes: null,
  },
].map(({ items, ...order }) => ({
  ...order,
  billing_address: order.shipping_address,
  total_cents: items.reduce((sum, item) => sum + item.total_cents, 0),
}));
const orderItems = [...items1, ...items2];

function sqlValue(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`seed data: ${value} is not an integer`);
    return String(value);
  }
  return `'${String(value).replaceAll("'", "''")}'`;
}

function insert(table, rows) {
  const columns = Object.keys(rows[0]);
  const values = rows.map((row) => `(${columns.map((column) => sqlValue(row[column])).join(", ")})`);
  return `INSERT OR IGNORE INTO ${table} (${columns.join(", ")}) VALUES\n  ${values.join(",\n  ")};`;
}

function seedSql() {
  const project = { project_id: DEMO_PROJECT_ID };
  const stamped = (rows) =>
    rows.map((row, i) => ({ ...project, ...row, etag: etag(), created_at: at(i), updated_at: at(i) }));
  const tables = [
    ["customers", stamped(customers)],
    ["products", stamped(products)],
    ["product_images", images.map((row) => ({ ...project, ...row }))],
    ["orders", stamped(orders)],
    ["order_items", orderItems.map((row) => ({ ...project, ...row }))],
  ];
  const count = ([table, rows]) =>
    `(SELECT count(*) FROM ${table} WHERE project_id = ${sqlValue(DEMO_PROJECT_ID)} AND id IN (${rows.map((r) => sqlValue(r.id)).join(", ")})) AS ${table}`;
  return [
    // changes(): rows this INSERT added (not counting rows written by triggers); 0 on a rerun.
    ...tables.map(([table, rows]) => `${insert(table, rows)}\nSELECT changes() AS added;`),
    // The counts prove that nothing was silently dropped (INSERT OR IGNORE also ignores CHECK failures).
    `SELECT ${tables.map(count).join(", ")};`,
  ].join("\n\n");
}

const expected = {
  customers: customers.length,
  products: products.length,
  product_images: images.length,
  orders: orders.length,
  order_items: orderItems.length,
};

// ---------------------------------------------------------------- steps

async function migrateAndSeed() {
  // CI=true: never wait for the "apply N migrations?" confirmation (stdin is closed anyway).
  const migrate = await step("D1 migrations", ["d1", "migrations", "apply", "DB", ...localFlags], { CI: "true" });
  if (migrate.code !== 0) return [migrate];
  const applied = [...new Set(migrate.output.match(/\d{4}_[\w.-]+\.sql/g) ?? [])];
  migrate.summary = /No migrations to apply/.test(migrate.output)
    ? "D1 migrations: up to date"
    : `D1 migrations: applied ${applied.join(", ") || "(see wrangler output)"}`;

  const dir = mkdtempSync(join(tmpdir(), "orders-api-seed-"));
  const file = join(dir, "seed.sql");
  writeFileSync(file, seedSql());
  const seed = await step("Demo data", ["d1", "execute", "DB", ...localFlags, "--file", file, "--json"]);
  rmSync(dir, { recursive: true, force: true });
  if (seed.code === 0) {
    let counts;
    try {
      const rows = JSON.parse(seed.stdout.slice(seed.stdout.indexOf("["))).flatMap((r) => r.results ?? []);
      counts = { ...rows.at(-1), added: rows.reduce((sum, row) => sum + (row.added ?? 0), 0) };
    } catch {
      seed.code = 1;
      seed.output = `Could not read the seed result:\n${seed.output}`;
      return [migrate, seed];
    }
    const missing = Object.entries(expected).filter(([table, n]) => counts[table] !== n);
    if (missing.length > 0) {
      seed.code = 1;
      seed.output = `Rows were rejected (INSERT OR IGNORE hides CHECK failures): ${missing
        .map(([table, n]) => `${table} ${counts[table]}/${n}`)
        .join(", ")}. Does scripts/dev.mjs match src/db/schema.ts?`;
    } else {
      const added = counts.added === 0 ? "nothing added" : `${counts.added} rows added`;
      seed.summary = `Demo data: project ${DEMO_PROJECT_ID}, ${counts.customers} customers, ${counts.products} products, ${counts.orders} orders (${added})`;
    }
  }
  return [migrate, seed];
}

function demoKey() {
  if (existsSync(DEMO_KEY_FILE)) {
    const key = readFileSync(DEMO_KEY_FILE, "utf8").trim();
    if (looksLikeApiKey(key)) return { key, createdAt: statSync(DEMO_KEY_FILE).mtime };
  }
  const key = generateApiKey();
  mkdirSync(join(root, ".wrangler"), { recursive: true });
  writeFileSync(DEMO_KEY_FILE, `${key}\n`, { mode: 0o600 });
  return { key, createdAt: new Date() };
}

async function storeDemoKey(key, createdAt) {
  // Re-put on every run (same value): the key works even after the local KV state was wiped.
  const record = JSON.stringify(keyRecord({ projectId: DEMO_PROJECT_ID, name: "demo (npm run dev)", createdAt }));
  const args = [
    "kv",
    "key",
    "put",
    hashApiKey(key),
    record,
    "--binding",
    "API_KEYS",
    ...localFlags,
    "--metadata",
    record,
  ];
  const put = await step("Demo API key", args);
  put.summary = "Demo API key: stored in local KV (kept in .wrangler/demo-api-key)";
  return put;
}

// ---------------------------------------------------------------- main

try {
  await import("./prepare-assets.mjs");
  console.log("✓ Assets: public/vendor/scalar.js");
} catch (error) {
  failStep("Preparing assets (is @scalar/api-reference installed? run `npm ci`)", String(error?.stack ?? error));
}

const { key, createdAt } = demoKey();
const results = (await Promise.all([migrateAndSeed(), storeDemoKey(key, createdAt)])).flat();
for (const result of results) {
  if (result.code !== 0) failStep(result.title, result.output);
  console.log(`✓ ${result.summary} [${result.took}]`);
}

const origin = `${protocol}://localhost:${port}`;
console.log(`
Local state ready in ${seconds(started)}.
  Demo project:  ${DEMO_PROJECT_ID}
  Demo API key:  ${key}
  Try:           curl -H "Authorization: Bearer ${key}" ${origin}${BASE_PATH}/crm/orders
  API docs:      ${origin}/docs
  More keys:     npm run keys -- create --project <any uuid>

Starting wrangler dev${extraArgs.length ? ` ${extraArgs.join(" ")}` : ""} ...
`);

const [command, argv] = wranglerCommand(["dev", ...extraArgs]);
const child = spawn(command, argv, { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => failStep("wrangler dev", error.message));
child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));

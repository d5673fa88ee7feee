// Seeds the bench's local D1 and KV (run by bench/run.mjs as its own process, after the migrations):
//   node bench/load-data.mjs <wrangler config> <persist dir (as wrangler's --persist-to)> <out.json>
// D1 rows go in through batches of `INSERT ... SELECT ... FROM json_each(?)` statements (a chunk of rows per
// bound JSON parameter, several statements per batch), not through HTTP, using wrangler's own local bindings
// (getPlatformProxy: the same Miniflare storage `wrangler dev --persist-to` serves). API keys are stored in
// KV exactly as `npm run keys -- create` stores them: under the hex SHA-256 of the key, never the key itself.
//
// Why not `wrangler d1 execute --local --file`: its SQL splitter re-reads the statement text for every
// character of a quoted literal, so a file of large JSON literals takes minutes per megabyte, and the local
// D1 refuses statements over 100 KB (SQLITE_TOOBIG); bound parameters avoid both.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { generateApiKey, hashApiKey } from "../scripts/lib/keys.mjs";
import { generateProject } from "./seed.mjs";

const [configPath, persistTo, outFile] = process.argv.slice(2);
if (!configPath || !persistTo || !outFile) {
  console.error("usage: node bench/load-data.mjs <wrangler config> <persist dir> <out.json>");
  process.exit(2);
}

const PROJECTS = [
  { name: "S", projectId: "5e1ec7ed-0000-4000-8000-000000001000", orders: 1_000, seed: 1 },
  { name: "L", projectId: "5e1ec7ed-0000-4000-8000-000000100000", orders: 100_000, seed: 2 },
];
const STATEMENTS_PER_BATCH = 4; // ~4,000 rows per D1 batch (one round trip, one transaction)

const { env, dispose } = await getPlatformProxy({
  configPath,
  persist: { path: join(persistTo, "v3") },
  remoteBindings: false,
});

try {
  const result = { projects: {}, seed: {} };
  const started = Date.now();
  for (const spec of PROJECTS) {
    const since = Date.now();
    let pending = [];
    let rows = 0;
    let batches = 0;
    const send = async () => {
      if (!pending.length) return;
      await env.DB.batch(pending.map((s) => env.DB.prepare(s.sql).bind(...s.params)));
      batches++;
      pending = [];
    };
    const emit = async (statement) => {
      pending.push(statement);
      rows += statement.rows;
      if (pending.length >= STATEMENTS_PER_BATCH) await send();
    };
    const project = await generateProject(emit, spec);
    await send();
    const keys = {};
    for (const use of ["load", "cold"]) {
      const key = generateApiKey();
      await env.API_KEYS.put(
        hashApiKey(key),
        JSON.stringify({
          project_id: spec.projectId,
          name: `bench ${use}`,
          created_at: new Date().toISOString(),
          expires_at: null,
        }),
      );
      keys[use] = key;
    }
    result.projects[spec.name] = { ...project, keys };
    result.seed[spec.name] = { rows, batches, ms: Date.now() - since };
    console.log(
      `seeded ${spec.name}: ${spec.orders} orders, ${rows} rows in ${batches} batches, ${Date.now() - since} ms`,
    );
  }
  // What the database holds now (all projects), to report and to check the counters the triggers keep.
  const counts = await env.DB.batch(
    ["orders", "order_items", "customers", "products", "product_images"].map((table) =>
      env.DB.prepare(`SELECT '${table}' AS name, count(*) AS n FROM ${table}`),
    ),
  );
  result.tables = Object.fromEntries(counts.map((r) => [r.results[0].name, r.results[0].n]));
  const counters = await env.DB.prepare(
    "SELECT project_id, sum(count) AS n FROM order_counts GROUP BY project_id",
  ).all();
  result.counters = Object.fromEntries(counters.results.map((r) => [r.project_id, r.n]));
  result.seed.totalMs = Date.now() - started;
  writeFileSync(outFile, JSON.stringify(result));
} finally {
  await dispose();
}

// `npm run load`: a bounded mixed workload against the local server, on loopback only.
//   1. makes sure `wrk` is installed (from Debian: `apt-get install -y wrk`, said out loud when it happens)
//   2. stores one API key per load project in local KV (the same local state `npm run dev` uses)
//   3. starts the local server: `npm run dev -- --port 8790 --ip 127.0.0.1`, in its own process group
//   4. creates a customer, a product and one order in each load project
//   5. runs wrk for LOAD_SECONDS (default 60) at 16 connections: 80% reads (GET the order list / GET one order),
//      20% writes (POST an order); the Lua script counts every status, the 201s included
//   6. checks that the orders added (list totals after - before) equal the 201s counted, prints a summary and
//      writes bench/load-results.md; stops the server (also on error or Ctrl-C) and revokes the load keys.
//
// Requests are spread over LOAD_THREADS projects (one per wrk thread): the per-project rate limit (1,000 requests
// per 10 s, wrangler.toml) is a product feature, and one project alone would measure 429s, not the service.
// Writes stop 2 s before the end, so that no POST is still in flight when wrk stops (wrk abandons those, and
// an order written but never answered would make the added/201 check meaningless); until then they are drawn a
// little more often, so that they are still about 20% of all requests.
//
// Settings (environment): LOAD_SECONDS=60 LOAD_CONNECTIONS=16 LOAD_THREADS=8 LOAD_PORT=8790 LOAD_WRITE_RATIO=0.2
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { generateApiKey, hashApiKey, keyRecord } from "./lib/keys.mjs";
import { root, runWrangler } from "./lib/wrangler.mjs";

const SECONDS = positiveInt("LOAD_SECONDS", 60);
const CONNECTIONS = positiveInt("LOAD_CONNECTIONS", 16);
const THREADS = Math.min(positiveInt("LOAD_THREADS", 8), CONNECTIONS);
const PORT = positiveInt("LOAD_PORT", 8790);
const WRITE_RATIO = Number(process.env.LOAD_WRITE_RATIO ?? 0.2);
const WRITE_SECONDS = Math.max(1, SECONDS - 2);
const HOST = "127.0.0.1";
const ORIGIN = `http://${HOST}:${PORT}`;
const API = `${ORIGIN}/v1/dev`;

const tmp = join(root, "bench/tmp");
const serverLog = join(tmp, "load-server.log");
const keysFile = join(tmp, "load-keys.json");
const luaFile = join(tmp, "load.lua");
const resultsFile = join(root, "bench/load-results.md");

function positiveInt(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer (got ${process.env[name]})`);
    process.exit(2);
  }
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line) => console.log(line);

// ---------------------------------------------------------------- wrk

/** wrk processes not started by this script (another benchmark sharing the machine skews every figure). */
function otherWrkProcesses() {
  const probe = spawnSync("pgrep", ["-x", "wrk"], { encoding: "utf8" });
  return probe.error ? 0 : probe.stdout.split("\n").filter(Boolean).length;
}

function hasWrk() {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return !probe.error;
}

function ensureWrk() {
  if (hasWrk()) return;
  say("wrk is not installed: installing it from Debian (apt-get install -y wrk) ...");
  const install = () => spawnSync("apt-get", ["install", "-y", "wrk"], { stdio: "inherit" }).status === 0;
  if (!install()) {
    say("apt-get install failed: refreshing the package lists (apt-get update) and retrying ...");
    spawnSync("apt-get", ["update"], { stdio: "inherit" });
    if (!install()) throw new Error("could not install wrk: run `apt-get install -y wrk` (as root) and retry");
  }
  if (!hasWrk()) throw new Error("wrk is still not on PATH after installing it");
  say("✓ wrk installed");
}

// ---------------------------------------------------------------- HTTP helpers (setup and checks)

async function request(method, path, { key, body } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

async function expectStatus(status, method, path, options) {
  const res = await request(method, path, options);
  if (res.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function serverAnswers() {
  try {
    const res = await fetch(`${API}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

const orderTotal = async (project) =>
  (await expectStatus(200, "GET", "/crm/orders?limit=1", { key: project.key })).pagination.total;

// ---------------------------------------------------------------- the local server

let server;
let serverExited = false;
let wrkProcess;

function startServer() {
  mkdirSync(tmp, { recursive: true });
  const log = openSync(serverLog, "w");
  const args = ["scripts/dev.mjs", "--port", String(PORT), "--ip", HOST];
  say(`Starting the local server: npm run dev -- --port ${PORT} --ip ${HOST} (log: ${relative(root, serverLog)})`);
  // detached: its own process group, so that stopping it stops wrangler and workerd too.
  server = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  closeSync(log);
  server.on("exit", () => {
    serverExited = true;
  });
}

async function waitForServer(timeoutMs = 180_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (serverExited) throw new Error(`the server exited during start-up:\n${tail(serverLog)}`);
    if (await serverAnswers()) return (Date.now() - started) / 1000;
    await sleep(500);
  }
  throw new Error(`the server did not answer ${API}/health within ${timeoutMs / 1000}s:\n${tail(serverLog)}`);
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function stopServer() {
  if (!server || serverExited) return;
  const group = -server.pid;
  const signal = (name) => {
    try {
      process.kill(group, name);
    } catch {}
  };
  signal("SIGTERM");
  for (let i = 0; i < 50 && !serverExited; i++) await sleep(200);
  if (!serverExited) signal("SIGKILL");
  // Whatever is left of the group (workerd) goes too.
  await sleep(300);
  signal("SIGKILL");
  say(`✓ Server stopped${(await serverAnswers()) ? " (WARNING: something still answers on the port)" : ""}`);
}

// ---------------------------------------------------------------- keys and data of the run

async function storeKeys(projects) {
  const entries = projects.map(({ key, projectId }, i) => {
    const record = keyRecord({ projectId, name: `load test ${i + 1}` });
    return { key: hashApiKey(key), value: JSON.stringify(record), metadata: record };
  });
  writeFileSync(keysFile, JSON.stringify(entries));
  const put = await runWrangler(["kv", "bulk", "put", keysFile, "--binding", "API_KEYS", "--local"]);
  if (put.code !== 0) throw new Error(`storing the load keys in local KV failed:\n${put.output}`);
}

async function revokeKeys() {
  const entries = JSON.parse(readFileSync(keysFile, "utf8")).map((entry) => entry.key);
  writeFileSync(keysFile, JSON.stringify(entries));
  const del = await runWrangler(["kv", "bulk", "delete", keysFile, "--binding", "API_KEYS", "--local", "--force"]);
  say(del.code === 0 ? "✓ Load keys revoked" : `(could not revoke the load keys: ${del.output.trim()})`);
}

async function prepareProject(project, n) {
  const customer = await expectStatus(201, "POST", "/crm/customers", {
    key: project.key,
    body: { name: `Load Customer ${n}`, email: `load${n}@example.com` },
  });
  const product = await expectStatus(201, "POST", "/products", {
    key: project.key,
    body: { name: `Load Product ${n}`, price: 12.5, units_in_stock: 1000, sku: `LOAD-${n}` },
  });
  const order = await expectStatus(201, "POST", "/crm/orders", {
    key: project.key,
    body: { customer_id: customer.data.id, items: [{ product_id: product.data.id, quantity: 1 }] },
  });
  return { ...project, customerId: customer.data.id, productId: product.data.id, orderId: order.data.id };
}

// ---------------------------------------------------------------- the wrk script

function luaScript(projects) {
  const lua = (value) => JSON.stringify(value); // JSON strings of keys and uuids are valid Lua strings
  const table = projects
    .map(
      (p) =>
        `  { key = ${lua(p.key)}, order = ${lua(p.orderId)}, body = ${lua(
          JSON.stringify({
            customer_id: p.customerId,
            items: [{ product_id: p.productId, quantity: 2 }],
            notes: "load test",
          }),
        )} },`,
    )
    .join("\n");
  return `-- Generated by scripts/load.mjs. One project per wrk thread; counts every status per thread.
local projects = {
${table}
}
-- Writes happen only in the first write_seconds, at a rate that makes them ${Math.round(WRITE_RATIO * 100)}% of the whole run.
local write_ratio = ${Math.min(1, (WRITE_RATIO * SECONDS) / WRITE_SECONDS)}
local threads = {}
local next_project = 0

function setup(thread)
  next_project = next_project + 1
  thread:set("project_index", ((next_project - 1) % #projects) + 1)
  table.insert(threads, thread)
end

function init(args)
  write_seconds = tonumber(args[1])
  started = os.time()
  project = projects[project_index]
  math.randomseed(os.time() * 1000 + project_index)
  auth = { ["Authorization"] = "Bearer " .. project.key }
  post_headers = { ["Authorization"] = "Bearer " .. project.key, ["Content-Type"] = "application/json" }
  list_path = "/v1/dev/crm/orders?limit=10"
  one_path = "/v1/dev/crm/orders/" .. project.order
  counts = {}
  posts, lists, ones = 0, 0, 0
end

function request()
  local r = math.random()
  if r < write_ratio and os.time() - started < write_seconds then
    posts = posts + 1
    return wrk.format("POST", "/v1/dev/crm/orders", post_headers, project.body)
  end
  -- Reads split evenly between the list and one order (a write draw after the write window reads too).
  if math.random() < 0.5 then
    lists = lists + 1
    return wrk.format("GET", list_path, auth)
  end
  ones = ones + 1
  return wrk.format("GET", one_path, auth)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses = {}
  local sent = { posts = 0, lists = 0, ones = 0 }
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    for status, n in pairs(c) do statuses[status] = (statuses[status] or 0) + n end
    sent.posts = sent.posts + (thread:get("posts") or 0)
    sent.lists = sent.lists + (thread:get("lists") or 0)
    sent.ones = sent.ones + (thread:get("ones") or 0)
  end
  local parts = {}
  for status, n in pairs(statuses) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'LOAD_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.0f, "p90_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, "statuses": {%s}, ' ..
    '"sent": {"posts": %d, "lists": %d, "ones": %d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status, table.concat(parts, ", "),
    sent.posts, sent.lists, sent.ones))
end
`;
}

function runWrk() {
  const args = [
    `-t${THREADS}`,
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    "--timeout",
    "10s",
    "--latency",
    "-s",
    luaFile,
    ORIGIN,
    "--",
    String(WRITE_SECONDS),
  ];
  say(`Running: wrk ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
    wrkProcess = child;
    // Look for other load generators while ours runs (ours is one of the wrk processes).
    let otherWrk = 0;
    const watch = setInterval(() => {
      otherWrk = Math.max(otherWrk, otherWrkProcesses() - 1);
    }, 2_000);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(watch);
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${output}`));
      const line = output.split("\n").find((l) => l.startsWith("LOAD_JSON "));
      if (!line) return reject(new Error(`wrk printed no LOAD_JSON line:\n${output}`));
      resolve({
        raw: output.replace(/^LOAD_JSON .*\n?/m, "").trimEnd(),
        result: JSON.parse(line.slice(10)),
        otherWrk,
      });
    });
  });
}

// ---------------------------------------------------------------- report

const ms = (us) => `${(us / 1000).toFixed(1)} ms`;

function report({ result, raw }, { added, before, after, startedAt, loadBefore, loadAfter, startupSeconds, otherWrk }) {
  const seconds = result.duration_us / 1e6;
  const rps = result.requests / seconds;
  const statuses = Object.entries(result.statuses).sort(([a], [b]) => Number(a) - Number(b));
  const non2xx = statuses.filter(([s]) => Number(s) < 200 || Number(s) > 299).reduce((sum, [, n]) => sum + n, 0);
  const serverErrors = statuses.filter(([s]) => Number(s) >= 500).reduce((sum, [, n]) => sum + n, 0);
  const socketErrors = result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout;
  const created = result.statuses["201"] ?? 0;
  const sent = result.sent.posts + result.sent.lists + result.sent.ones;
  const pct = (n) => `${((100 * n) / Math.max(sent, 1)).toFixed(1)}%`;
  const checks = [
    [`orders added (${added}) = 201s counted (${created})`, added === created],
    [`no 5xx (${serverErrors})`, serverErrors === 0],
    [`no socket errors (${socketErrors})`, socketErrors === 0],
  ];
  const ok = checks.every(([, pass]) => pass);
  const summary = [
    `Load: ${SECONDS}s, ${CONNECTIONS} connections, ${THREADS} wrk threads (one project each), ${ORIGIN}`,
    `  requests      ${result.requests} in ${seconds.toFixed(1)}s = ${rps.toFixed(0)} req/s`,
    `  latency       p50 ${ms(result.p50_us)}, p90 ${ms(result.p90_us)}, p99 ${ms(result.p99_us)}, max ${ms(result.max_us)}`,
    `  mix sent      GET list ${result.sent.lists} (${pct(result.sent.lists)}), GET one ${result.sent.ones} (${pct(result.sent.ones)}), POST order ${result.sent.posts} (${pct(result.sent.posts)}; writes during the first ${WRITE_SECONDS}s)`,
    `  statuses      ${statuses.map(([s, n]) => `${s}: ${n}`).join(", ")}`,
    `  non-2xx       ${non2xx}`,
    `  socket errors connect ${result.errors.connect}, read ${result.errors.read}, write ${result.errors.write}, timeout ${result.errors.timeout}`,
    `  orders added  ${added} (list totals ${before} -> ${after}); 201s counted ${created}`,
    ...(otherWrk
      ? [`  note          ${otherWrk} other wrk process(es) were running on this machine: figures are skewed`]
      : []),
    ...checks.map(([text, pass]) => `  ${pass ? "✓" : "✘"} ${text}`),
  ].join("\n");

  const markdown = `# Load test results (\`npm run load\`)

Generated by \`scripts/load.mjs\` on ${startedAt.toISOString()}. Local numbers: compare ratios within one run, never
quote them as production figures (local D1 is SQLite in the same machine; wrk, workerd and anything else running
share ${cpus().length} CPU cores; load average ${loadBefore.map((n) => n.toFixed(2)).join(" ")} before, ${loadAfter.map((n) => n.toFixed(2)).join(" ")} after).
${otherWrk ? `\n**Another load generator was running on this machine at the same time** (${otherWrk} other wrk process${otherWrk > 1 ? "es" : ""} seen before or during the run): the figures below are lower than an idle machine would give.\n` : ""}
## Setup
- Server: \`npm run dev -- --port ${PORT} --ip ${HOST}\` (wrangler dev, local D1 and KV; ready in ${startupSeconds.toFixed(1)} s), loopback only.
- Load: \`wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency\` with a Lua script (bench/tmp/load.lua, generated).
- ${THREADS} projects, one per wrk thread (keeps each under the per-project rate limit of wrangler.toml), each with one
  customer, one product and one order made before the run.
- Mix: ${Math.round(WRITE_RATIO * 100)}% \`POST /v1/dev/crm/orders\` (1 item, quantity 2), all sent during the first ${WRITE_SECONDS} s
  (so that none is in flight when wrk stops), the rest split evenly between \`GET /v1/dev/crm/orders?limit=10\` and \`GET /v1/dev/crm/orders/{id}\`.

## Results
| metric | value |
|---|---|
| requests | ${result.requests} in ${seconds.toFixed(1)} s |
| throughput | ${rps.toFixed(0)} req/s |
| latency p50 / p90 / p99 / max | ${ms(result.p50_us)} / ${ms(result.p90_us)} / ${ms(result.p99_us)} / ${ms(result.max_us)} |
| requests sent | GET list ${result.sent.lists} (${pct(result.sent.lists)}), GET one ${result.sent.ones} (${pct(result.sent.ones)}), POST ${result.sent.posts} (${pct(result.sent.posts)}) |
| statuses | ${statuses.map(([s, n]) => `${s}: ${n}`).join(", ")} |
| non-2xx | ${non2xx} |
| socket errors | connect ${result.errors.connect}, read ${result.errors.read}, write ${result.errors.write}, timeout ${result.errors.timeout} |
| orders added (list totals after - before) | ${added} (${before} -> ${after}) |
| 201s counted by the Lua script | ${created} |

## Checks
${checks.map(([text, pass]) => `- ${pass ? "PASS" : "FAIL"}: ${text}`).join("\n")}

## wrk output
\`\`\`
${raw}
\`\`\`
`;
  return { summary, markdown, ok };
}

// ---------------------------------------------------------------- main

let cleaningUp = false;
async function cleanUp() {
  if (cleaningUp) return;
  cleaningUp = true;
  if (wrkProcess && wrkProcess.exitCode === null) wrkProcess.kill("SIGTERM");
  await stopServer();
  try {
    await revokeKeys();
  } catch {}
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    say(`\n${signal}: stopping`);
    await cleanUp();
    process.exit(130);
  });
}

async function main() {
  const startedAt = new Date();
  const loadBefore = loadavg();
  ensureWrk();
  const otherWrk = otherWrkProcesses();
  if (await serverAnswers()) throw new Error(`something already answers on ${ORIGIN}: stop it or set LOAD_PORT`);

  const projects = Array.from({ length: THREADS }, () => ({ projectId: randomUUID(), key: generateApiKey() }));
  mkdirSync(tmp, { recursive: true });
  await storeKeys(projects);
  say(`✓ ${projects.length} load projects with their keys in local KV`);

  startServer();
  const startupSeconds = await waitForServer();
  say(`✓ Server ready on ${ORIGIN} in ${startupSeconds.toFixed(1)}s`);

  const prepared = await Promise.all(projects.map(prepareProject));
  const totals = async () => (await Promise.all(prepared.map(orderTotal))).reduce((a, b) => a + b, 0);
  const before = await totals();
  say(`✓ Each project has a customer, a product and an order (orders in all load projects: ${before})`);

  writeFileSync(luaFile, luaScript(prepared));
  const run = await runWrk();
  await sleep(500);
  const after = await totals();
  const { summary, markdown, ok } = report(run, {
    added: after - before,
    before,
    after,
    startedAt,
    loadBefore,
    loadAfter: loadavg(),
    startupSeconds,
    otherWrk: Math.max(otherWrk, run.otherWrk),
  });
  writeFileSync(resultsFile, markdown);
  say(`\n${summary}\n\nWritten to ${relative(root, resultsFile)}`);
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  console.error(`✘ load: ${error?.message ?? error}`);
} finally {
  await cleanUp();
}
process.exit(ok ? 0 : 1);

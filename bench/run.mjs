// `npm run bench [-- --duration 5s --connections 8 --threads 1 --only <regex> --keep-state --port 8799]`
//
// 1. Worker size: `wrangler deploy --dry-run` of the real wrangler.toml (minified and gzipped bytes).
// 2. Builds the bench Worker (bench/worker.ts: the real app + baseline routes) once, so that edits to src/
//    during the run cannot reload the server mid-measurement.
// 3. Fresh local state in bench/tmp/state (never the dev state): D1 migrations, then two projects seeded
//    through D1 batches (bench/load-data.mjs): S with 1,000 orders, L with 100,000.
// 4. `wrangler dev` pinned to core 0, `wrk` pinned to core 1. Per scenario: one traced request
//    (X-Bench-Trace: D1 round trips, statements, rows read, KV gets, plan findings), then wrk --latency.
//    Baselines run first and again last, so drift of the shared machine shows.
// 5. Writes bench/RESULTS.md and bench/results-chart.svg, prints a summary, stops everything it started.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { has, run, start, stop, stopAll, stopChildrenOnExit } from "./lib/proc.mjs";
import { writeChart, writeResults } from "./lib/report.mjs";
import { parseWrk, randomGetScript, writeScript } from "./lib/wrk.mjs";
import { BROAD_WORD, RARE_WORD, SHORT_TERM } from "./seed.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, "..");
const tmp = join(benchDir, "tmp");
const statePath = join(tmp, "state");
const scratch = join(tmp, "run"); // Lua scripts, server log, raw results of the last run
const wranglerBin = join(root, "node_modules/wrangler/bin/wrangler.js");

// ------------------------------------------------------------------------------------------------ options
function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = args[i + 1];
  return value === undefined || value.startsWith("--") ? true : value;
}
const opts = {
  duration: option("duration", process.env.BENCH_DURATION ?? "5s"),
  connections: Number(option("connections", process.env.BENCH_CONNECTIONS ?? 8)),
  threads: Number(option("threads", process.env.BENCH_THREADS ?? 1)),
  only: option("only", null),
  keepState: option("keep-state", false) === true,
  port: Number(option("port", process.env.BENCH_PORT ?? 8799)),
};
const BASE = `http://127.0.0.1:${opts.port}`;
const API = "/v1/dev/crm/orders";

const since = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;
const log = (...args) => console.log(...args);

function wrangler(name, args) {
  return run(name, process.execPath, [wranglerBin, ...args], { cwd: root, env: { ...process.env, CI: "1" } });
}

async function must(step, promise) {
  const result = await promise;
  if (result.code !== 0) throw new Error(`${step} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

// ------------------------------------------------------------------------------------------------ tools
async function ensureTools() {
  if (!has("wrk")) {
    log("wrk is missing: installing it from Debian (apt-get install -y wrk)");
    let result = await run("apt-get", "apt-get", ["install", "-y", "wrk"]);
    if (result.code !== 0) {
      await run("apt-get", "apt-get", ["update"]);
      result = await run("apt-get", "apt-get", ["install", "-y", "wrk"]);
    }
    if (result.code !== 0 || !has("wrk")) throw new Error("wrk is required: apt-get install -y wrk");
  }
  const pin = has("taskset") && cpus().length >= 2;
  if (!pin) log("! taskset or a second core is missing: server and load generator are not pinned");
  return { pin };
}

// ------------------------------------------------------------------------------------------------ builds
async function bundleSize() {
  const outdir = join(tmp, "dist");
  rmSync(outdir, { recursive: true, force: true });
  const result = await must(
    "wrangler deploy --dry-run",
    wrangler("bundle", ["deploy", "--dry-run", "--outdir", outdir, "--config", join(root, "wrangler.toml")]),
  );
  const file = join(outdir, "index.js");
  const code = readFileSync(file);
  const reported = /Total Upload:\s*([\d.]+) KiB \/ gzip:\s*([\d.]+) KiB/.exec(result.stdout);
  const minify = /^\s*minify\s*=\s*true/m.test(readFileSync(join(root, "wrangler.toml"), "utf8"));
  return {
    minifiedBytes: statSync(file).size,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    wranglerKiB: reported ? Number(reported[1]) : null,
    wranglerGzipKiB: reported ? Number(reported[2]) : null,
    minify,
  };
}

/** Bundles bench/worker.ts once and writes a config that serves that bundle as is (no watching of src/). */
async function buildBenchWorker() {
  const outdir = join(tmp, "build");
  rmSync(outdir, { recursive: true, force: true });
  await must(
    "bench worker build",
    wrangler("bench-build", [
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
      "--config",
      join(benchDir, "wrangler.bench.toml"),
    ]),
  );
  const config = readFileSync(join(benchDir, "wrangler.bench.toml"), "utf8")
    .replace(/^main = .*$/m, 'main = "build/worker.js"\nno_bundle = true')
    .replace(/^migrations_dir = "\.\.\/drizzle"$/m, 'migrations_dir = "../../drizzle"');
  const runConfig = join(tmp, "wrangler.run.toml");
  writeFileSync(
    runConfig,
    `# Generated by bench/run.mjs from bench/wrangler.bench.toml: serves the prebuilt bundle.\n${config}`,
  );
  return runConfig;
}

// ------------------------------------------------------------------------------------------------ data
async function prepareState(config) {
  const dataFile = join(tmp, "data.json");
  if (opts.keepState && existsSync(dataFile) && existsSync(statePath)) {
    log("reusing the seeded state in bench/tmp/state (--keep-state)");
    return { ...JSON.parse(readFileSync(dataFile, "utf8")), reused: true };
  }
  rmSync(statePath, { recursive: true, force: true });
  const t = Date.now();
  await must(
    "D1 migrations",
    wrangler("migrations", [
      "d1",
      "migrations",
      "apply",
      "DB",
      "--local",
      "--persist-to",
      statePath,
      "--config",
      config,
    ]),
  );
  const migrateMs = Date.now() - t;
  const seeded = await must(
    "seeding",
    run("seed", process.execPath, [join(benchDir, "load-data.mjs"), config, statePath, dataFile], { cwd: root }),
  );
  process.stdout.write(seeded.stdout);
  const data = JSON.parse(readFileSync(dataFile, "utf8"));
  data.seed.migrateMs = migrateMs;
  data.seed.wallMs = seeded.ms;
  writeFileSync(dataFile, JSON.stringify(data));
  return data;
}

// ------------------------------------------------------------------------------------------------ server
async function startServer(config, pin) {
  const logFile = join(scratch, "wrangler-dev.log");
  const fd = openSync(logFile, "w");
  const args = [
    wranglerBin,
    "dev",
    "--config",
    config,
    "--persist-to",
    statePath,
    "--ip",
    "127.0.0.1",
    "--port",
    String(opts.port),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  const [command, argv] = pin ? ["taskset", ["-c", "0", process.execPath, ...args]] : [process.execPath, args];
  const child = start("wrangler dev", command, argv, { cwd: root, stdio: ["ignore", fd, fd] });
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${BASE}/__bench/hello`);
      if (res.ok) return { child, logFile };
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`wrangler dev did not start; see ${logFile}:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
}

// ------------------------------------------------------------------------------------------------ scenarios
function scenarios(data) {
  const S = data.projects.S;
  const L = data.projects.L;
  const list = [];
  const add = (s) => list.push(s);
  const ordersOf = (p) => p.sampleOrders.slice(0, 200).map((id) => `${API}/${id}`);
  // Traced GETs use orders of exactly 3 lines in both projects, so their rows read compare like for like.
  const threeLineOrders = (p) =>
    p.sampleOrders
      .filter((_, i) => p.sampleLines[i] === 3)
      .slice(0, 10)
      .map((id) => `${API}/${id}`);
  const bySize = [
    ["1k", S],
    ["100k", L],
  ];

  add({ id: "hello", label: "baseline: hello (bare JSON)", group: "baseline", paths: ["/__bench/hello"] });
  add({ id: "auth", label: "baseline: auth only (API key)", group: "baseline", paths: ["/__bench/auth"], key: L });
  add({ id: "select", label: "baseline: one D1 SELECT", group: "baseline", paths: ["/__bench/select"] });
  add({
    id: "hello-logged",
    label: "layer: hello + request-log middleware",
    group: "layer",
    paths: ["/__bench/logged"],
  });
  add({
    id: "hello-logged-printed",
    label: "layer: same, log lines printed by wrangler dev",
    group: "layer",
    paths: ["/__bench/logged"],
    printLogs: true,
  });
  add({ id: "ratelimit", label: "layer: auth + rate limit", group: "layer", paths: ["/__bench/ratelimit"], key: L });
  add({
    id: "session-select",
    label: "layer: auth + rate limit + SELECT via drizzle session",
    group: "layer",
    paths: ["/__bench/session-select"],
    key: L,
  });
  const reads = [
    ["get", "GET one order", (p) => ordersOf(p), (p) => threeLineOrders(p)],
    ["list10", "list limit 10", () => [`${API}?limit=10`]],
    ["list100", "list limit 100", () => [`${API}?limit=100`]],
    ["status", "filter status=shipped", () => [`${API}?status=shipped`]],
    ["customer", "filter customer_id", (p) => p.customers.slice(0, 200).map((id) => `${API}?customer_id=${id}`)],
    ["product", "filter product_id", (p) => p.products.slice(0, 200).map((id) => `${API}?product_id=${id}`)],
    ["search-selective", `search "${RARE_WORD}" (selective)`, () => [`${API}?search=${RARE_WORD}`]],
    ["search-broad", `search "${BROAD_WORD}" (broad)`, () => [`${API}?search=${BROAD_WORD}`]],
    ["search-short", `search "${SHORT_TERM}" (< 3 chars)`, () => [`${API}?search=${SHORT_TERM}`]],
  ];
  for (const [id, label, paths, tracePaths] of reads) {
    for (const [size, project] of bySize) {
      add({
        id: `${id}-${size}`,
        base: id,
        size,
        label: `${label} @${size}`,
        group: "read",
        paths: paths(project),
        tracePaths: tracePaths?.(project),
        key: project,
      });
    }
  }
  add({
    id: "get-100k-printed",
    label: "GET one order @100k, log lines printed by wrangler dev",
    group: "layer",
    paths: ordersOf(L),
    tracePaths: threeLineOrders(L),
    key: L,
    printLogs: true,
  });
  for (const [size, project] of bySize) {
    add({
      id: `scan-search-${size}`,
      base: "scan-search",
      size,
      label: `LIKE-style scan search "${RARE_WORD}" @${size} (pre-FTS query)`,
      group: "compare",
      paths: [`/__bench/scan-search?search=${RARE_WORD}`],
      key: project,
    });
  }
  // Trace only (not loaded): a deep page, to show what offset pagination costs.
  add({
    id: "deep-page-100k",
    base: "deep-page",
    size: "100k",
    label: "list page 1000 (offset 9,990) @100k",
    group: "trace-only",
    paths: [`${API}?limit=10&page=1000`],
    key: L,
  });
  for (const n of [1, 5, 50]) {
    add({
      id: `create-${n}`,
      label: `create with ${n} item${n > 1 ? "s" : ""} @100k`,
      group: "write",
      method: "POST",
      itemCount: n,
      paths: [API],
      key: L,
      expect: 201,
    });
  }
  add({
    id: "update-50",
    label: "update replacing 50 items @100k",
    group: "write",
    method: "PUT",
    itemCount: 50,
    paths: ordersOf(L),
    key: L,
  });
  for (const id of ["hello", "auth", "select"]) {
    const first = list.find((s) => s.id === id);
    add({ ...first, id: `${id}-end`, base: id, label: `${first.label} (again, at the end)`, end: true });
  }
  return list;
}

// ------------------------------------------------------------------------------------------------ trace
function bodyFor(s, project, i = 0) {
  const pick = (arr, k) => arr[(k * 7919 + i * 104729) % arr.length];
  const items = Array.from({ length: s.itemCount }, (_, k) => ({
    product_id: pick(project.products, k),
    quantity: 1 + (k % 5),
  }));
  return s.method === "POST"
    ? { customer_id: pick(project.customers, 1), items, notes: "bench trace order" }
    : { items };
}

async function request(s, path, { trace = null, i = 0 } = {}) {
  const headers = {};
  if (s.key) headers.Authorization = `Bearer ${s.key.keys.load}`;
  if (trace) headers["X-Bench-Trace"] = trace;
  let body;
  if (s.method) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(bodyFor(s, s.key, i));
  }
  const res = await fetch(`${BASE}${path}`, { method: s.method ?? "GET", headers, body });
  const text = await res.text();
  const traced = res.headers.get("X-Bench-Trace");
  return { status: res.status, text, trace: traced ? JSON.parse(traced) : null };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Per-request costs: the mean over up to 10 distinct requests of the scenario, after one warm-up request. */
async function traceScenario(s) {
  const expect = s.expect ?? 200;
  const warm = await request(s, s.paths[0], { i: 999 });
  if (warm.status !== expect)
    throw new Error(`${s.id}: ${s.paths[0]} answered ${warm.status}: ${warm.text.slice(0, 300)}`);
  const paths = s.method ? s.paths.slice(0, 1) : (s.tracePaths ?? s.paths).slice(0, 10);
  const traces = [];
  for (const [i, path] of paths.entries()) {
    const res = await request(s, path, { trace: "1", i });
    if (res.status !== expect || !res.trace)
      throw new Error(`${s.id}: traced ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    traces.push(res.trace);
    if (i === 0 && !s.method && res.text.startsWith("{")) {
      const json = JSON.parse(res.text);
      if (json.pagination) s.total = json.pagination.total;
    }
  }
  const pick = (k) => mean(traces.map((t) => t[k]));
  return {
    requests: traces.length,
    roundTrips: pick("roundTrips"),
    statements: pick("statements"),
    maxBoundParams: Math.max(...traces.map((t) => t.maxBoundParams)),
    rowsRead: pick("rowsRead"),
    rowsReadMax: Math.max(...traces.map((t) => t.rowsRead)),
    rowsWritten: pick("rowsWritten"),
    kvGets: pick("kvGets"),
    fullScans: [...new Set(traces.flatMap((t) => t.fullScans))],
    tempBtrees: [...new Set(traces.flatMap((t) => t.tempBtrees))],
  };
}

async function setLogs(mode) {
  const res = await fetch(`${BASE}/__bench/logs/${mode}`, { method: "POST" });
  if (!res.ok) throw new Error(`could not turn logs ${mode}: ${res.status}`);
}

/** KV reads of a key never seen by this isolate, then of the same key again (inside the cache window). */
async function kvColdWarm(project) {
  const s = { key: { keys: { load: project.keys.cold } } };
  const first = await request(s, "/__bench/auth", { trace: "1" });
  const second = await request(s, "/__bench/auth", { trace: "1" });
  return { cold: first.trace?.kvGets, warm: second.trace?.kvGets };
}

// ------------------------------------------------------------------------------------------------ load
async function load(s, pin) {
  const luaFile = join(scratch, `${s.id}.lua`);
  if (s.method) {
    writeScript(luaFile, {
      method: s.method,
      paths: s.paths,
      customers: s.key.customers.slice(0, 300),
      products: s.key.products,
      itemCount: s.itemCount,
    });
  } else {
    randomGetScript(luaFile, s.paths);
  }
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.duration}`,
    "--latency",
    "--timeout",
    "30s",
    "-s",
    luaFile,
    ...(s.key ? ["-H", `Authorization: Bearer ${s.key.keys.load}`] : []),
    BASE,
  ];
  const [command, argv] = pin ? ["taskset", ["-c", "1", "wrk", ...args]] : ["wrk", args];
  const result = await run(`wrk ${s.id}`, command, argv);
  if (result.code !== 0) throw new Error(`wrk ${s.id} failed: ${result.stderr || result.stdout}`);
  return { ...parseWrk(result.stdout), raw: result.stdout };
}

// ------------------------------------------------------------------------------------------------ main
async function main() {
  const t0 = Date.now();
  stopChildrenOnExit();
  mkdirSync(scratch, { recursive: true });
  const machine = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memGiB: Math.round(totalmem() / 2 ** 30),
    loadStart: loadavg().map((x) => x.toFixed(2)),
    node: process.version,
    wrangler: JSON.parse(readFileSync(join(root, "node_modules/wrangler/package.json"), "utf8")).version,
    wrk: spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "",
  };
  const { pin } = await ensureTools();
  machine.wrk = spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout?.split("\n")[0]?.trim() ?? "";
  machine.pinned = pin;
  log(`bench: wrk ${opts.threads} thread(s), ${opts.connections} connections, ${opts.duration} per scenario`);

  let t = Date.now();
  const bundle = await bundleSize();
  log(
    `worker bundle: ${(bundle.minifiedBytes / 1024).toFixed(1)} KiB minified, ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzip (${since(t)})`,
  );
  t = Date.now();
  const config = await buildBenchWorker();
  log(`bench worker built (${since(t)})`);
  t = Date.now();
  const data = await prepareState(config);
  log(`state ready (${since(t)})`);

  const { child: server, logFile } = await startServer(config, pin);
  log(`wrangler dev ready on ${BASE} (log: ${logFile})`);
  const results = [];
  let kv;
  try {
    // Log lines stay inside the isolate except in the scenarios that say so (see bench/worker.ts).
    await setLogs("off");
    kv = await kvColdWarm(data.projects.L);
    const all = scenarios(data);
    const only = opts.only ? new RegExp(opts.only) : null;
    for (const s of all) {
      if (only && !only.test(s.id) && s.group !== "baseline") continue;
      const cost = await traceScenario(s);
      if (s.printLogs) await setLogs("on");
      const measured = s.group === "trace-only" ? null : await load(s, pin);
      if (s.printLogs) await setLogs("off");
      results.push({ ...s, key: undefined, paths: s.paths.length, tracePaths: undefined, cost, load: measured });
      const m = measured
        ? `${measured.rps.toFixed(0).padStart(6)} rps  p50 ${measured.p50?.toFixed(1)} ms  p99 ${measured.p99?.toFixed(1)} ms${measured.non2xx || measured.socketErrors ? `  ! non-2xx ${measured.non2xx}, socket errors ${measured.socketErrors}` : ""}`
        : "(trace only)";
      log(
        `${s.label.padEnd(58)} ${m}  | rt ${cost.roundTrips} st ${cost.statements} rows ${Math.round(cost.rowsRead)} kv ${cost.kvGets}`,
      );
    }
  } finally {
    await stop(server);
  }
  machine.loadEnd = loadavg().map((x) => x.toFixed(2));
  machine.totalMs = Date.now() - t0;
  const report = { machine, opts, bundle, data, kv, results };
  writeFileSync(join(scratch, "results.json"), JSON.stringify(report, null, 2));
  const summary = writeResults(join(benchDir, "RESULTS.md"), report);
  writeChart(join(benchDir, "results-chart.svg"), report);
  log(`\n${summary}`);
  log(`\nwrote bench/RESULTS.md and bench/results-chart.svg in ${since(t0)}`);
}

main()
  .then(async () => {
    await stopAll();
  })
  .catch(async (error) => {
    console.error(error instanceof Error ? error.stack : error);
    await stopAll();
    process.exit(1);
  });

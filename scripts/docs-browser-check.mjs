// Opens the API reference (/docs) in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against a local `wrangler dev`, waits until every Orders operation is rendered, checks that the page made no
// request leaving this machine, and saves a screenshot.
//
//   npm run docs:check                       # screenshot: docs-screenshot.png (git-ignored)
//   DOCS_SCREENSHOT=/tmp/docs.png npm run docs:check
//
// Exit 0: rendered and local-only, or skipped because Chromium could not be installed (the message says so;
// .ci/run decides what a skip means). Exit 1: anything else.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = resolve(root, process.env.DOCS_SCREENSHOT ?? "docs-screenshot.png");
const WRANGLER = join(root, "node_modules/wrangler/bin/wrangler.js");
const RENDER_TIMEOUT_MS = 30_000;
const SERVER_TIMEOUT_MS = 45_000;
const started = Date.now();

const log = (message) => console.log(`[docs:check ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

// ---------------------------------------------------------------- Chromium

/** Installs Debian's chromium when missing; false when it cannot be installed here. */
function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get (one-time, may take a minute)`);
  const apt = (args) =>
    spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=60", ...args], {
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 150_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  const update = apt(["update", "-q"]);
  const install =
    update.status === 0
      ? apt(["install", "-y", "-q", "--no-install-recommends", "chromium", "fonts-liberation"])
      : update;
  if (install.status !== 0 || !existsSync(CHROMIUM)) {
    const why = install.error?.message ?? `apt-get exited with ${install.status ?? install.signal}`;
    console.log(`skipped: chromium could not be installed (${why}); the docs browser check did not run`);
    return false;
  }
  log("chromium installed");
  return true;
}

// ---------------------------------------------------------------- local Worker

/** Runs the project's wrangler to completion; throws with its output when it fails. */
function wranglerSync(args) {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}

const freePort = () =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

/** `wrangler dev` in its own process group (so stopping it stops workerd too) on a throwaway local state. */
async function startServer(persistTo) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    },
  );
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });

  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + SERVER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`${base}/v1/dev/health`);
      if (res.status === 200) return { base, stop, output: () => output };
    } catch {}
    await sleep(200);
  }
  await stop();
  throw new Error(`wrangler dev did not answer /v1/dev/health on ${base}; its output:\n${output.slice(-4000)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the check

const LOCAL_SCHEMES = new Set(["data:", "blob:", "about:"]);
const isLocal = (url) => {
  try {
    const { protocol, hostname } = new URL(url);
    if (LOCAL_SCHEMES.has(protocol)) return true;
    return (protocol === "http:" || protocol === "https:") && (hostname === "127.0.0.1" || hostname === "localhost");
  } catch {
    return false;
  }
};

/** The Orders operations (summaries and tag), read from the OpenAPI document the page itself renders. */
async function orderOperations(base) {
  const res = await fetch(`${base}/v1/dev/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /v1/dev/openapi.json answered ${res.status}`);
  const doc = await res.json();
  const summaries = [];
  let tag;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith("/v1/dev/crm/orders")) continue;
    for (const operation of Object.values(item)) {
      if (!operation?.summary) continue;
      summaries.push(operation.summary);
      tag ??= operation.tags?.[0];
    }
  }
  if (summaries.length === 0 || !tag)
    throw new Error("the OpenAPI document has no tagged /v1/dev/crm/orders operations");
  return { tag, summaries };
}

async function checkDocs(base) {
  const { chromium } = await import("playwright-core");
  const { tag, summaries } = await orderOperations(base);
  log(`expecting the ${tag} operations: ${summaries.map((s) => JSON.stringify(s)).join(", ")}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, serviceWorkers: "block" });
    const requests = [];
    const blocked = [];
    context.on("request", (request) => requests.push(request.url()));
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      const text = message.text();
      if (/Content Security Policy/i.test(text)) blocked.push(text);
    });

    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`${res.request().method()} ${res.url()} answered ${res.status()}`);
    });

    const response = await page.goto(`${base}/docs`, { waitUntil: "domcontentloaded" });
    if (response?.status() !== 200) throw new Error(`GET /docs answered ${response?.status()}`);

    // Scalar lists the tags in its sidebar with their groups closed: open the orders group (as a reader would),
    // then every orders operation must be shown (sidebar entry and section heading).
    const rendered = (locator, what) =>
      locator.waitFor({ state: "visible", timeout: RENDER_TIMEOUT_MS }).catch(() => {
        throw new Error(`${what} was not rendered within ${RENDER_TIMEOUT_MS / 1000}s`);
      });
    const group = page.getByRole("button", { name: tag }).first();
    await rendered(group, `the "${tag}" group of the sidebar`);
    await group.click();
    for (const summary of summaries) {
      await rendered(page.getByText(summary, { exact: true }).first(), `the operation "${summary}"`);
    }
    await rendered(
      page.getByRole("heading", { name: summaries[0], exact: true }).first(),
      `the "${summaries[0]}" section`,
    );
    log(`all ${tag} operations are rendered`);
    // Let late requests (fonts, images) happen before judging the network and taking the picture.
    await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => {});

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    log(`screenshot saved to ${SCREENSHOT}`);

    const remote = requests.filter((url) => !isLocal(url));
    log(`${requests.length} requests, ${remote.length} leaving this machine`);
    for (const url of remote) problems.push(`request left the machine: ${url}`);
    for (const text of blocked) problems.push(`blocked by the page's CSP (the page tried to load it): ${text}`);
  } finally {
    await browser.close();
  }
  return problems;
}

// ---------------------------------------------------------------- main

async function main() {
  if (!ensureChromium()) return 0;

  const persistTo = mkdtempSync(join(tmpdir(), "docs-check-"));
  let server;
  const cleanup = async () => {
    await server?.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      cleanup().finally(() => process.exit(1));
    });
  }

  try {
    spawnSync(process.execPath, [join(root, "scripts/prepare-assets.mjs")], { stdio: "inherit" });
    wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo]);
    log("assets prepared, local migrations applied");
    server = await startServer(persistTo);
    log(`wrangler dev is up at ${server.base}`);
    const problems = await checkDocs(server.base);
    if (problems.length) {
      console.error(`FAIL: /docs rendered, but:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
      return 1;
    }
    log(`OK: /docs renders the Orders operations in Chromium using only local resources`);
    return 0;
  } catch (error) {
    console.error(`FAIL: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();

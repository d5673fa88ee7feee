// Runs the project's own wrangler (node_modules/wrangler) as a child process and captures its output.
// Calling its bin with the current node directly saves the ~0.3 s that `npx wrangler` spends resolving it, and
// never lets npx fetch some other (newer, Node 22-only) wrangler when dependencies are not installed yet.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(root, "node_modules/wrangler/bin/wrangler.js");

/** The command line that starts the project's wrangler with `args`. */
export function wranglerCommand(args) {
  if (!existsSync(bin)) {
    console.error("wrangler is not installed here: run `npm ci` first.");
    process.exit(1);
  }
  return [process.execPath, [bin, ...args]];
}

/**
 * Runs `wrangler ...args` non-interactively (stdin closed) and resolves to { code, stdout, stderr, output },
 * `output` being both streams interleaved as they arrived. Never rejects on a non-zero exit.
 * Stops wrangler after `timeoutSeconds` (it can hang instead of failing, e.g. on an unwritable --persist-to).
 */
export function runWrangler(args, { env = {}, timeoutSeconds = 120 } = {}) {
  const [command, argv] = wranglerCommand(args);
  return new Promise((resolve) => {
    const child = spawn(command, argv, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM"); // wrangler's bin passes it on to its CLI process, which stops workerd
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    }, timeoutSeconds * 1000);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: 1, stdout, stderr, output: `${output}${error.message}\n` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        output += `\n(wrangler ${args.slice(0, 3).join(" ")} gave no result within ${timeoutSeconds}s: stopped)\n`;
      resolve({ code: timedOut ? 1 : (code ?? (signal ? 1 : 0)), stdout, stderr, output });
    });
  });
}

/** Wrangler's local/remote and environment flags. */
export function targetFlags({ remote = false, env } = {}) {
  return [remote ? "--remote" : "--local", ...(env ? ["--env", env] : [])];
}

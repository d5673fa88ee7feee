// Child processes of the bench: each runs in its own process group, is remembered, and is stopped (the whole
// group: wrangler's workerd children too) when the bench ends, fails or is interrupted. Only processes that
// this bench started are ever signalled, by their own group id.
import { spawn, spawnSync } from "node:child_process";

const running = new Map(); // pid -> { name, child }

/** Starts `command args` in a new process group; resolves nothing, returns the child (stdout/stderr piped). */
export function start(name, command, args, options = {}) {
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...options });
  running.set(child.pid, { name, child });
  child.on("exit", () => running.delete(child.pid));
  return child;
}

/** Runs a command to completion; resolves { code, stdout, stderr, ms }. Killed with the others on cleanup. */
export function run(name, command, args, options = {}) {
  const since = Date.now();
  const child = start(name, command, args, options);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ code: 1, stdout, stderr: stderr + error.message, ms: Date.now() - since }));
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr, ms: Date.now() - since }),
    );
  });
}

const alive = (pid) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops one started child's process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child, graceMs = 3000) {
  const pid = child.pid;
  if (!pid || !alive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {}
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
  running.delete(pid);
}

/** Stops every child still running (async, with grace). */
export async function stopAll() {
  await Promise.all([...running.values()].map(({ child }) => stop(child)));
}

/** Last resort on a synchronous exit: SIGKILL every remaining group. */
function killAllNow() {
  for (const pid of running.keys()) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
  running.clear();
}

let installed = false;
/** Makes sure children are stopped however the bench ends (normal exit, error, Ctrl-C, SIGTERM). */
export function stopChildrenOnExit() {
  if (installed) return;
  installed = true;
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, async () => {
      console.error(`\n${signal}: stopping the bench's processes`);
      await stopAll();
      process.exit(130);
    });
  }
}

/** True if `command` is on PATH. */
export const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

// API key CLI: `npm run keys -- create|revoke|list ...` (see usage below).
// KV (binding API_KEYS) stores only the SHA-256 of a key: name = lowercase hex digest, value = JSON record
// {project_id, name, created_at, expires_at}; the same record is the entry's metadata so `list` needs no reads.
// Every write goes through wrangler: local state (.wrangler/state, the one `npm run dev` serves) by default,
// the deployed namespace with --remote.
import { parseArgs } from "node:util";
import { generateApiKey, hashApiKey, isUuid, keyRecord, looksLikeApiKey } from "./lib/keys.mjs";
import { runWrangler, targetFlags } from "./lib/wrangler.mjs";

const BINDING = "API_KEYS";
const HASH = /^[0-9a-f]{64}$/;
const MAX_NAME_LENGTH = 200; // the record is also KV metadata, which is capped at 1024 bytes

const USAGE = `Usage:
  npm run keys -- create --project <uuid> [--name <text>] [--expires <ISO date>] [--json] [--remote] [--env <name>]
  npm run keys -- revoke <key | hash prefix from "list"> [--json] [--remote] [--env <name>]
  npm run keys -- list [--project <uuid>] [--json] [--remote] [--env <name>]

  create   Makes a key for a project (any UUID names a project; nothing else to set up) and prints it once.
           --json prints only {"key": "...", "project_id": "..."} on one line.
  revoke   Deletes a key, given the key itself or the (at least 8 hex digits) hash prefix shown by "list".
  list     Shows each key's hash prefix, name, project, creation and expiry; never the keys themselves.

  Local state (the one "npm run dev" serves) by default; --remote for the deployed KV namespace
  (needs CLOUDFLARE_API_TOKEN), --env for a wrangler environment.`;

const OPTIONS = {
  create: { project: "string", name: "string", expires: "string", json: "boolean", remote: "boolean", env: "string" },
  revoke: { json: "boolean", remote: "boolean", env: "string" },
  list: { project: "string", json: "boolean", remote: "boolean", env: "string" },
};

function usageError(message) {
  console.error(`Error: ${message}\n\n${USAGE}`);
  process.exit(1);
}

function fail(message) {
  console.error(`Error: ${message}`);
  process.exit(1);
}

function parse(command, argv) {
  const options = { local: { type: "boolean" }, help: { type: "boolean", short: "h" } };
  for (const [name, type] of Object.entries(OPTIONS[command])) options[name] = { type };
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(error.message);
  }
}

/** Runs wrangler; on failure shows what it said and exits 1. Resolves to its stdout. */
async function wrangler(args, what) {
  const result = await runWrangler(args);
  if (result.code !== 0) fail(`${what} failed (wrangler exited with ${result.code}):\n${result.output.trim()}`);
  return result.stdout;
}

async function listEntries(flags, prefix) {
  const args = ["kv", "key", "list", "--binding", BINDING, ...flags, ...(prefix ? ["--prefix", prefix] : [])];
  const stdout = await wrangler(args, "Listing the keys");
  try {
    return JSON.parse(stdout.slice(stdout.indexOf("[")));
  } catch {
    return fail(`could not read wrangler's key list:\n${stdout.trim()}`);
  }
}

async function create({ values, positionals }) {
  if (positionals.length > 0) usageError(`unexpected argument "${positionals[0]}"`);
  if (!values.project) usageError("--project <uuid> is required");
  if (!isUuid(values.project)) fail(`--project must be a UUID (got "${values.project}")`);
  const name = values.name ?? "default";
  if (name.length > MAX_NAME_LENGTH) fail(`--name is longer than ${MAX_NAME_LENGTH} characters`);
  let expiresAt = null;
  if (values.expires !== undefined) {
    expiresAt = /^\d{4}-\d{2}-\d{2}/.test(values.expires) ? new Date(values.expires) : new Date(Number.NaN);
    if (Number.isNaN(expiresAt.getTime())) {
      fail(`--expires must be an ISO date such as 2030-01-31 or 2030-01-31T12:00:00Z (got "${values.expires}")`);
    }
    if (expiresAt.getTime() <= Date.now()) fail(`--expires ${expiresAt.toISOString()} is not in the future`);
  }

  const key = generateApiKey();
  const record = keyRecord({ projectId: values.project, name, expiresAt });
  const json = JSON.stringify(record);
  const flags = targetFlags(values);
  await wrangler(
    ["kv", "key", "put", hashApiKey(key), json, "--binding", BINDING, ...flags, "--metadata", json],
    "Storing the key",
  );

  if (values.json) {
    console.log(JSON.stringify({ key, project_id: record.project_id }));
    return;
  }
  const where = values.remote ? "deployed" : "local";
  console.log(`Created API key "${name}" for project ${record.project_id} (${where}${values.env ? `, env ${values.env}` : ""}):

  ${key}

Expires: ${record.expires_at ?? "never"}
Store it now: it cannot be shown again (only its SHA-256 is kept).`);
}

async function revoke({ values, positionals }) {
  if (positionals.length !== 1) usageError("revoke takes exactly one key (or a hash prefix from `list`)");
  const given = positionals[0];
  let prefix;
  if (looksLikeApiKey(given)) prefix = hashApiKey(given);
  else if (/^[0-9a-f]{8,64}$/i.test(given)) prefix = given.toLowerCase();
  else usageError(`"${given}" is neither an API key (oak_...) nor a hash prefix (8+ hex digits) from \`list\``);

  const flags = targetFlags(values);
  const matches = (await listEntries(flags, prefix)).filter((entry) => HASH.test(entry.name));
  if (matches.length === 0) fail("no such key (wrong key, or already revoked)");
  if (matches.length > 1) {
    fail(
      `hash prefix ${prefix} matches ${matches.length} keys; give more digits:\n${matches.map((e) => `  ${e.name}`).join("\n")}`,
    );
  }
  const [{ name: hash, metadata }] = matches;
  await wrangler(["kv", "key", "delete", hash, "--binding", BINDING, ...flags], "Deleting the key");
  if (values.json) console.log(JSON.stringify({ revoked: hash, project_id: metadata?.project_id ?? null }));
  else {
    const label = metadata ? ` "${metadata.name}" of project ${metadata.project_id}` : "";
    console.log(
      `Revoked key ${hash.slice(0, 12)}${label}. Running Workers may accept it for up to API_KEY_CACHE_SECONDS more.`,
    );
  }
}

async function list({ values, positionals }) {
  if (positionals.length > 0) usageError(`unexpected argument "${positionals[0]}"`);
  if (values.project && !isUuid(values.project)) fail(`--project must be a UUID (got "${values.project}")`);
  const project = values.project?.toLowerCase();
  const now = Date.now();
  const keys = (await listEntries(targetFlags(values)))
    .filter((entry) => HASH.test(entry.name))
    .map(({ name, metadata }) => ({
      hash: name,
      name: metadata?.name ?? null,
      project_id: metadata?.project_id ?? null,
      created_at: metadata?.created_at ?? null,
      expires_at: metadata?.expires_at ?? null,
      expired: Boolean(metadata?.expires_at && !(Date.parse(metadata.expires_at) > now)),
    }))
    .filter((key) => !project || key.project_id === project)
    .sort((a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? ""));

  if (values.json) {
    console.log(JSON.stringify(keys));
    return;
  }
  if (keys.length === 0) {
    console.log(
      `No API keys${project ? ` for project ${project}` : ""} in the ${values.remote ? "deployed" : "local"} namespace.`,
    );
    return;
  }
  const rows = [["HASH", "NAME", "PROJECT", "CREATED", "EXPIRES"]];
  for (const key of keys) {
    const expires = key.expires_at ? `${key.expires_at}${key.expired ? " (expired)" : ""}` : "never";
    rows.push([
      key.hash.slice(0, 12),
      key.name ?? "?",
      key.project_id ?? "? (no metadata)",
      key.created_at ?? "?",
      expires,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    );
}

const COMMANDS = { create, revoke, list };
const [command, ...rest] = process.argv.slice(2);
if (command === undefined) usageError("missing command");
if (command === "help" || command === "--help" || command === "-h") {
  console.log(USAGE);
  process.exit(0);
}
if (!COMMANDS[command]) usageError(`unknown command "${command}"`);
const parsed = parse(command, rest);
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.values.remote && parsed.values.local) usageError("--local and --remote exclude each other");
await COMMANDS[command](parsed);

// `npm run deploy [-- --env staging|production]`: prepares assets, applies D1 migrations to the remote
// database, then deploys the Worker. Migrations go first so that new code never runs against an old schema
// (so each migration must also work with the code that is live until the deploy finishes).
// Needs CLOUDFLARE_API_TOKEN (and usually CLOUDFLARE_ACCOUNT_ID) in a non-interactive shell.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { root, wranglerCommand } from "./lib/wrangler.mjs";

const USAGE = "Usage: npm run deploy [-- --env <name>]   (e.g. --env staging or --env production)";

let env;
try {
  const { values } = parseArgs({
    options: { env: { type: "string", short: "e" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  env = values.env;
} catch (error) {
  console.error(`Error: ${error.message}\n${USAGE}`);
  process.exit(1);
}

const envFlags = env ? ["--env", env] : [];
const target = env ? `environment "${env}"` : "the top-level (default) environment";

/** Runs wrangler with inherited stdio; stops the deploy if it fails. */
function wrangler(args, extraEnv = {}) {
  const [command, argv] = wranglerCommand(args);
  const result = spawnSync(command, argv, { cwd: root, stdio: "inherit", env: { ...process.env, ...extraEnv } });
  if (result.status !== 0) {
    console.error(
      `\n✘ \`wrangler ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}). Nothing further was done.`,
    );
    process.exit(1);
  }
}

/** Stops before touching anything remote when wrangler.toml cannot work for this target. */
async function checkConfig() {
  const wranglerApi = await import("wrangler");
  const { rawConfig } = await wranglerApi.experimental_readRawConfig({ config: join(root, "wrangler.toml") });
  if (env && !rawConfig.env?.[env]) {
    throw new Error(
      `wrangler.toml has no [env.${env}] section; environments defined: ${Object.keys(rawConfig.env ?? {}).join(", ") || "none"}.`,
    );
  }
  const config = wranglerApi.unstable_readConfig({ config: join(root, "wrangler.toml"), env }, { hideWarnings: true });
  const db = config.d1_databases.find((d) => d.binding === "DB");
  if (!db?.database_id) {
    // `wrangler d1 migrations apply --remote` reads the id from the config only: provisioning on deploy is not
    // enough (and in CI wrangler does not write provisioned ids back to wrangler.toml).
    const envFlag = env ? ` --env ${env}` : "";
    throw new Error(
      `the D1 binding DB has no database_id for ${target}, so migrations cannot be applied remotely. Either:\n` +
        `  - create it: npx wrangler d1 create ${db?.database_name ?? "orders-api"}, and put its database_id in wrangler.toml; or\n` +
        `  - run \`npx wrangler deploy${envFlag}\` once in an interactive terminal: it provisions D1 and KV and writes\n` +
        "    their ids into wrangler.toml (apply migrations right after it, before the Worker gets traffic).\n" +
        "Commit the ids, then run npm run deploy again.",
    );
  }
}

console.log(`Deploying orders-api to ${target}.\n`);
try {
  await checkConfig();
} catch (error) {
  console.error(`✘ ${error.message}`);
  process.exit(1);
}

console.log("==> 1/3 Copying the API reference bundle into public/vendor (scripts/prepare-assets.mjs)");
await import("./prepare-assets.mjs");

console.log("\n==> 2/3 Applying D1 migrations to the remote database (wrangler d1 migrations apply DB --remote)");
// CI=true answers wrangler's "apply N migrations?" confirmation, so this also runs unattended.
wrangler(["d1", "migrations", "apply", "DB", "--remote", ...envFlags], { CI: "true" });

console.log("\n==> 3/3 Deploying the Worker (wrangler deploy)");
wrangler(["deploy", ...envFlags]);

console.log(
  `\n✓ Deployed to ${target}. Create an API key for it with: npm run keys -- create --project <uuid> --remote${env ? ` --env ${env}` : ""}`,
);

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // Read from drizzle/ (flat NNNN_name.sql files) and applied by test/setup.ts in every test file's storage.
  const migrations = await readD1Migrations("drizzle");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations },
          // Test-only rate limiters, passed to the app as RATE_LIMITER by the tests that need them: a tiny one
          // (test/rate-limit.test.ts) and one no test reaches (test/fuzz.test.ts sends thousands of requests).
          ratelimits: {
            TEST_RATE_LIMITER: { simple: { limit: 3, period: 10 } },
            TEST_UNLIMITED_RATE_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } },
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      // The Worker logs one JSON line per request: show console output only for tests that fail.
      silent: "passed-only",
    },
  };
});

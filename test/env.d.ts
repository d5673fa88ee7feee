import type { D1Migration } from "@cloudflare/vitest-pool-workers";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** 3 requests per 10 s (vitest.config.ts): passed to the app as RATE_LIMITER by test/rate-limit.test.ts. */
      TEST_RATE_LIMITER: RateLimit;
      /** A limit no test reaches: passed as RATE_LIMITER by suites that send thousands of requests. */
      TEST_UNLIMITED_RATE_LIMITER: RateLimit;
    }
  }
}

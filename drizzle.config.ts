import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here; wrangler applies it (one migration tracker: d1_migrations).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});

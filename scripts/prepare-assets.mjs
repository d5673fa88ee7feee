// Copies the API reference's browser bundle from the installed @scalar/api-reference into public/vendor/,
// which Workers static assets serve at /vendor/scalar.js (no third-party CDN at run time).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const packageDir = join(root, "node_modules/@scalar/api-reference");
mkdirSync(join(root, "public/vendor"), { recursive: true });
copyFileSync(join(packageDir, "dist/browser/standalone.js"), join(root, "public/vendor/scalar.js"));

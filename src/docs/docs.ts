import type { Context } from "hono";

// The interactive reference is Scalar's standalone bundle, served by this Worker's static assets from
// /vendor/scalar.js (copied from the installed @scalar/api-reference by scripts/prepare-assets.mjs):
// nothing is loaded from a third-party CDN, and the CSP below forbids it.
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Orders API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/vendor/scalar.js"></script>
    <script>
      Scalar.createApiReference("#app", {
        url: "/v1/dev/openapi.json",
        withDefaultFonts: false,
        hideClientButton: true,
        telemetry: false,
        // Both would talk to Scalar's servers (the "Ask AI" agent's registry; share/deploy the document).
        agent: { disabled: true },
        showDeveloperTools: "never",
      });
    </script>
  </body>
</html>`;

export const docsPage = (c: Context) => {
  c.header(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
  );
  return c.html(page);
};

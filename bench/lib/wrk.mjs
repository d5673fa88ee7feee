// wrk: Lua scripts for the scenarios and a parser for `wrk --latency` output.
import { writeFileSync } from "node:fs";

const luaString = (s) => `"${String(s).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
const luaList = (items) => `{\n${items.map((s) => `  ${luaString(s)},`).join("\n")}\n}`;

/** GET a random path of `paths` on every request. */
export function randomGetScript(file, paths) {
  writeFileSync(
    file,
    `local paths = ${luaList(paths)}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
`,
  );
  return file;
}

/**
 * A JSON body per request: `customer_id` (POST only) picked from `customers`, and `items` of `itemCount`
 * lines with random products of `products`; `method` PUT picks the path from `paths`.
 */
export function writeScript(file, { method, paths, customers, products, itemCount }) {
  writeFileSync(
    file,
    `local paths = ${luaList(paths)}
local customers = ${luaList(customers)}
local products = ${luaList(products)}
local n = 0
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local items = {}
  for i = 1, ${itemCount} do
    items[i] = '{"product_id":"' .. products[math.random(#products)] .. '","quantity":' .. math.random(1, 5) .. '}'
  end
  local body = '{"items":[' .. table.concat(items, ",") .. ']'
  ${
    method === "POST"
      ? `body = body .. ',"customer_id":"' .. customers[math.random(#customers)] .. '","notes":"bench order ' .. n .. ' via wrk, leave at the door","shipping_address":"1 Bench Street, Springfield, IL 62704"}'`
      : `body = body .. '}'`
  }
  return wrk.format("${method}", paths[math.random(#paths)], nil, body)
end
`,
  );
  return file;
}

const UNITS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (text) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]] : null;
};

/** Requests/sec, latency percentiles (ms), counts and errors from `wrk --latency` output. */
export function parseWrk(output) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(output);
    return m ? toMs(m[1]) : null;
  };
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99), requests, non2xx, socketErrors };
}

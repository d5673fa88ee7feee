// Deterministic bench data: two projects (S: 1,000 orders, L: 100,000 orders), each with 1,000 customers,
// 500 products (half with an image) and ~3 items per order, with varied notes and addresses.
// Produced as `INSERT ... SELECT ... FROM json_each(?)` statements, each carrying a chunk of rows as ONE bound JSON
// parameter; bench/run.mjs sends them to the local D1 in batches. The schema's triggers fill the FTS index and
// the per-status counters as the orders go in.

/** mulberry32: a small, fast, seedable PRNG (the same seed always gives the same data set). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const hex = (n) => {
    let s = "";
    while (s.length < n) s += int(0x10000).toString(16).padStart(4, "0");
    return s.slice(0, n);
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[int(4)]}${hex(3)}-${hex(12)}`;
  return { next, int, pick, uuid };
}

const FIRST =
  "Ada Grace Alan Edsger Barbara Donald Margaret Ken Dennis Frances Radia Linus Guido Bjarne Anita Katherine Tim Vint Hedy Lynn Sophie Marco Yuki Priya Omar Lena Tomas Aisha Mateo Ingrid Kwame Mei Diego Elena Noah Fatima Lucas Chloe Ivan Zara".split(
    " ",
  );
const LAST =
  "Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Ritchie Allen Perlman Torvalds Rossum Stroustrup Borg Johnson Berners Cerf Lamarr Conway Wilson Rossi Tanaka Patel Haddad Novak Berg Okafor Garcia Larsen Mensah Chen Alvarez Petrova Smith Rahman Martin Dubois Ivanov Khan".split(
    " ",
  );
const COMPANIES =
  "Acme Corp|Globex|Initech|Umbrella Logistics|Stark Supplies|Wayne Hardware|Hooli|Vandelay Imports|Soylent Foods|Tyrell Systems|Cyberdyne|Wonka Confectionery|Oceanic Freight|Massive Dynamic|Pied Piper|Aperture Labs|Gringotts Trading|Duff Beverages|Monarch Paper|Dunder Mifflin".split(
    "|",
  );
const STREET_NAMES =
  "Maple Oak Pine Cedar Elm Birch Willow Walnut Chestnut Spruce Main High Church Mill Park Lake River Hill Station Market King Queen Bridge Harbor Meadow Orchard Forest Valley Spring Sunset Broad Union Liberty Franklin Lincoln Washington Jefferson Madison Adams Jackson".split(
    " ",
  );
// Weighted: most addresses are on a "Street", so the broad search term matches most orders.
const SUFFIXES = ["Street", "Street", "Street", "Street", "Street", "Street", "Avenue", "Road", "Lane", "Boulevard"];
const CITIES = [
  ["Springfield", "IL"],
  ["Portland", "OR"],
  ["Austin", "TX"],
  ["Madison", "WI"],
  ["Boulder", "CO"],
  ["Savannah", "GA"],
  ["Burlington", "VT"],
  ["Tucson", "AZ"],
  ["Ann Arbor", "MI"],
  ["Raleigh", "NC"],
  ["Santa Fe", "NM"],
  ["Boise", "ID"],
  ["Duluth", "MN"],
  ["Eugene", "OR"],
  ["Fresno", "CA"],
  ["Lexington", "KY"],
  ["Omaha", "NE"],
  ["Richmond", "VA"],
  ["Salem", "MA"],
  ["Tacoma", "WA"],
];
const ADJECTIVES =
  "Classic Deluxe Compact Ergonomic Rugged Premium Eco Smart Vintage Modular Wireless Portable Heavy-duty Organic Handmade".split(
    " ",
  );
const NOUNS =
  "Chair Desk Lamp Kettle Backpack Notebook Monitor Keyboard Mug Blender Jacket Tent Bottle Speaker Drill Blanket Planter Clock Headphones Skillet".split(
    " ",
  );
const COLORS = "red blue green black white grey teal amber navy olive".split(" ");
const NOTE_TEMPLATES = [
  () => "Please handle with care",
  () => "Leave the parcel at the front door",
  () => "Call before delivery",
  (r) => `Gift wrap requested for ${r.pick(FIRST)}`,
  (r) => `Deliver after ${1 + r.int(11)} pm`,
  (r) => `Customer asked for the ${r.pick(COLORS)} version`,
  () => "Fragile: contains glassware",
  (r) => `Use the side entrance on ${r.pick(STREET_NAMES)} ${r.pick(SUFFIXES)}`,
  (r) => `Backorder ${1 + r.int(9)} units if out of stock`,
  (r) => `Reference PO-${10000 + r.int(90000)}`,
  () => "Ring the bell twice, the dog is friendly",
  (r) => `Invoice to ${r.pick(COMPANIES)} accounts payable`,
  () => "No substitutions please",
  (r) => `Signature required, ask for ${r.pick(FIRST)} ${r.pick(LAST)}`,
  () => "Combine with the previous shipment if possible",
  () => "Express shipping, the customer is travelling on Friday",
  () => "Loading dock closes at 4 pm",
];
/** The selective search term: in the notes of one order in 1,000 (every 1,000th order, so exactly 0.1%). */
export const RARE_WORD = "zanzibar";
export const RARE_EVERY = 1000;
/** The broad search term: in most addresses. */
export const BROAD_WORD = "street";
/** A term shorter than 3 characters: answered by a scan (the trigram index cannot serve it). */
export const SHORT_TERM = "pm";
const STATUSES = [
  ["delivered", 40],
  ["shipped", 20],
  ["processing", 15],
  ["pending", 20],
  ["cancelled", 5],
];

function address(r) {
  const city = r.pick(CITIES);
  const unit = r.next() < 0.25 ? `, Apt ${1 + r.int(40)}` : "";
  return `${1 + r.int(9999)} ${r.pick(STREET_NAMES)} ${r.pick(SUFFIXES)}${unit}, ${city[0]}, ${city[1]} ${String(10000 + r.int(89999))}`;
}

function status(r) {
  let x = r.int(100);
  for (const [name, weight] of STATUSES) {
    if (x < weight) return name;
    x -= weight;
  }
  return "pending";
}

/** One statement: the rows travel as one JSON parameter (arrays in column order) expanded by json_each. */
function insertJson(table, columns, rows) {
  const values = columns.map((_, i) => `value ->> ${i}`).join(", ");
  return {
    sql: `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${values} FROM json_each(?)`,
    params: [JSON.stringify(rows.map((row) => columns.map((c) => row[c])))],
    rows: rows.length,
  };
}

const CUSTOMER_COLS = ["project_id", "id", "name", "email", "phone", "company", "etag", "created_at", "updated_at"];
const PRODUCT_COLS = [
  "project_id",
  "id",
  "name",
  "description",
  "sku",
  "category_id",
  "price_cents",
  "units_in_stock",
  "status",
  "etag",
  "created_at",
  "updated_at",
];
const IMAGE_COLS = ["project_id", "id", "product_id", "position", "url", "name"];
const ORDER_COLS = [
  "project_id",
  "id",
  "customer_id",
  "status",
  "order_date",
  "shipping_address",
  "billing_address",
  "notes",
  "total_cents",
  "etag",
  "created_at",
  "updated_at",
];
const ITEM_COLS = [
  "project_id",
  "id",
  "order_id",
  "product_id",
  "position",
  "quantity",
  "unit_price_cents",
  "total_cents",
];

const DAY = 86_400_000;
const EPOCH = Date.UTC(2026, 0, 1);

/**
 * Generates one project's rows, handing each insert statement to `emit` (awaited, in dependency order), and
 * returns what the bench needs to address the project: ids of some orders, all customers and products, and
 * the exact number of orders that contain each search term (computed here, to check the API's totals).
 */
export async function generateProject(
  emit,
  { projectId, orders: orderCount, customers: customerCount = 1000, products: productCount = 500, seed, chunk = 1000 },
) {
  const r = prng(seed);
  const write = emit;
  const etag = () => r.uuid().replaceAll("-", "");

  const customers = [];
  for (let i = 0; i < customerCount; i++) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const t = EPOCH - 1200 * DAY + i * 60_000;
    customers.push({
      project_id: projectId,
      id: r.uuid(),
      name: `${first} ${last}`,
      email: `${first}.${last}${i}@example.com`.toLowerCase(),
      phone: r.next() < 0.8 ? `+1 555 ${String(r.int(10000)).padStart(4, "0")}` : null,
      company: r.next() < 0.6 ? r.pick(COMPANIES) : null,
      etag: etag(),
      created_at: t,
      updated_at: t,
    });
  }
  const products = [];
  const images = [];
  for (let i = 0; i < productCount; i++) {
    const name = `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`;
    const t = EPOCH - 1200 * DAY + i * 60_000;
    const product = {
      project_id: projectId,
      id: r.uuid(),
      name,
      description: `${name} in ${r.pick(COLORS)}, ${1 + r.int(5)} year warranty`,
      sku: `SKU-${String(i).padStart(5, "0")}`,
      category_id: null,
      price_cents: 199 + r.int(49_800),
      units_in_stock: r.int(500),
      status: "active",
      etag: etag(),
      created_at: t,
      updated_at: t,
    };
    products.push(product);
    if (i % 2 === 0) {
      images.push({
        project_id: projectId,
        id: r.uuid(),
        product_id: product.id,
        position: 0,
        url: `https://images.example.com/${product.sku.toLowerCase()}.jpg`,
        name: `${name} photo`,
      });
    }
  }
  for (let i = 0; i < customers.length; i += chunk)
    await write(insertJson("customers", CUSTOMER_COLS, customers.slice(i, i + chunk)));
  for (let i = 0; i < products.length; i += chunk)
    await write(insertJson("products", PRODUCT_COLS, products.slice(i, i + chunk)));
  for (let i = 0; i < images.length; i += chunk)
    await write(insertJson("product_images", IMAGE_COLS, images.slice(i, i + chunk)));

  const sampleOrders = [];
  const sampleLines = [];
  const matches = { [RARE_WORD]: 0, [BROAD_WORD]: 0, [SHORT_TERM]: 0 };
  let itemCount = 0;
  let orders = [];
  let items = [];
  const flush = async () => {
    if (orders.length) await write(insertJson("orders", ORDER_COLS, orders));
    if (items.length) await write(insertJson("order_items", ITEM_COLS, items));
    orders = [];
    items = [];
  };
  // Order dates spread over ~3 years before EPOCH; created_at follows the order date.
  const span = 1100 * DAY;
  for (let i = 0; i < orderCount; i++) {
    const orderId = r.uuid();
    const orderDate = EPOCH - span + Math.floor((i / orderCount) * span) + r.int(3_600_000);
    const shipping = address(r);
    const billing = r.next() < 0.7 ? shipping : address(r);
    let notes = null;
    if (r.next() < 0.65) {
      notes = r.pick(NOTE_TEMPLATES)(r);
      if (r.next() < 0.3) notes += `. ${r.pick(NOTE_TEMPLATES)(r)}`;
    }
    if (i % RARE_EVERY === RARE_EVERY / 2) notes = `${notes ? `${notes}. ` : ""}Ship via Zanzibar freight forwarders`;
    const lineCount = 1 + r.int(5); // 1..5, ~3 on average
    let total = 0;
    for (let position = 0; position < lineCount; position++) {
      const product = r.pick(products);
      const quantity = 1 + r.int(4);
      total += product.price_cents * quantity;
      items.push({
        project_id: projectId,
        id: r.uuid(),
        order_id: orderId,
        product_id: product.id,
        position,
        quantity,
        unit_price_cents: product.price_cents,
        total_cents: product.price_cents * quantity,
      });
    }
    itemCount += lineCount;
    const order = {
      project_id: projectId,
      id: orderId,
      customer_id: r.pick(customers).id,
      status: status(r),
      order_date: orderDate,
      shipping_address: shipping,
      billing_address: billing,
      notes,
      total_cents: total,
      etag: etag(),
      created_at: orderDate + r.int(60_000),
      updated_at: orderDate + r.int(60_000),
    };
    orders.push(order);
    const text = [notes, billing, shipping].map((s) => (s ?? "").toLowerCase());
    for (const term of Object.keys(matches)) if (text.some((s) => s.includes(term))) matches[term]++;
    if (i % Math.max(1, Math.floor(orderCount / 500)) === 0) {
      sampleOrders.push(orderId);
      sampleLines.push(lineCount);
    }
    if (orders.length >= chunk) await flush();
  }
  await flush();
  return {
    projectId,
    orders: orderCount,
    items: itemCount,
    customers: customers.map((c) => c.id),
    products: products.map((p) => p.id),
    sampleOrders,
    sampleLines,
    matches,
  };
}

import { relations, sql } from "drizzle-orm";
import { check, foreignKey, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Conventions:
// - Every table is keyed by (project_id, id): a tenant's rows are clustered and every lookup is scoped.
// - References are composite (project_id, x_id) foreign keys, so a row can never point into another project.
// - Money is integer cents; timestamps are integer epoch milliseconds. CHECKs make SQLite refuse anything else
//   (an INTEGER column would otherwise store 19.99 as a float).
// - `etag` is a random token replaced on every write; conditional writes compare it (If-Match).

const isInteger = (column: string) => sql.raw(`typeof(${column}) = 'integer'`);

export const customers = sqliteTable(
  "customers",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    email: text("email"),
    phone: text("phone"),
    company: text("company"),
    etag: text("etag").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("customers_list_idx").on(t.projectId, t.createdAt, t.id),
    check("customers_timestamps_integer", sql`${isInteger("created_at")} AND ${isInteger("updated_at")}`),
  ],
);

export const products = sqliteTable(
  "products",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    sku: text("sku"),
    categoryId: text("category_id"),
    priceCents: integer("price_cents").notNull(),
    unitsInStock: integer("units_in_stock").notNull(),
    status: text("status", { enum: ["active", "inactive", "discontinued"] })
      .notNull()
      .default("active"),
    etag: text("etag").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("products_list_idx").on(t.projectId, t.createdAt, t.id),
    index("products_status_idx").on(t.projectId, t.status, t.createdAt, t.id),
    check("products_price_cents", sql`${isInteger("price_cents")} AND price_cents >= 0`),
    check("products_units_in_stock", sql`${isInteger("units_in_stock")} AND units_in_stock >= 0`),
    check("products_status", sql`status IN ('active', 'inactive', 'discontinued')`),
    check("products_timestamps_integer", sql`${isInteger("created_at")} AND ${isInteger("updated_at")}`),
  ],
);

export const productImages = sqliteTable(
  "product_images",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    productId: text("product_id").notNull(),
    position: integer("position").notNull(),
    url: text("url").notNull(),
    name: text("name"),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("product_images_product_idx").on(t.projectId, t.productId, t.position),
    foreignKey({
      name: "product_images_product_fk",
      columns: [t.projectId, t.productId],
      foreignColumns: [products.projectId, products.id],
    }).onDelete("cascade"),
    check("product_images_position_integer", isInteger("position")),
  ],
);

export const orderStatuses = ["pending", "processing", "shipped", "delivered", "cancelled"] as const;

export const orders = sqliteTable(
  "orders",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    customerId: text("customer_id").notNull(),
    status: text("status", { enum: orderStatuses }).notNull().default("pending"),
    orderDate: integer("order_date").notNull(),
    shippingAddress: text("shipping_address"),
    billingAddress: text("billing_address"),
    notes: text("notes"),
    totalCents: integer("total_cents").notNull(),
    etag: text("etag").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // The list order is (order_date DESC, created_at DESC, id DESC); each filter gets the same suffix.
    index("orders_list_idx").on(t.projectId, t.orderDate, t.createdAt, t.id),
    index("orders_status_idx").on(t.projectId, t.status, t.orderDate, t.createdAt, t.id),
    index("orders_customer_idx").on(t.projectId, t.customerId, t.orderDate, t.createdAt, t.id),
    foreignKey({
      name: "orders_customer_fk",
      columns: [t.projectId, t.customerId],
      foreignColumns: [customers.projectId, customers.id],
    }),
    check("orders_total_cents", sql`${isInteger("total_cents")} AND total_cents >= 0`),
    check("orders_status", sql`status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')`),
    check(
      "orders_timestamps_integer",
      sql`${isInteger("order_date")} AND ${isInteger("created_at")} AND ${isInteger("updated_at")}`,
    ),
  ],
);

export const orderItems = sqliteTable(
  "order_items",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    orderId: text("order_id").notNull(),
    productId: text("product_id").notNull(),
    position: integer("position").notNull(),
    quantity: integer("quantity").notNull(),
    unitPriceCents: integer("unit_price_cents").notNull(),
    totalCents: integer("total_cents").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("order_items_order_idx").on(t.projectId, t.orderId, t.position),
    index("order_items_product_idx").on(t.projectId, t.productId, t.orderId),
    foreignKey({
      name: "order_items_order_fk",
      columns: [t.projectId, t.orderId],
      foreignColumns: [orders.projectId, orders.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "order_items_product_fk",
      columns: [t.projectId, t.productId],
      foreignColumns: [products.projectId, products.id],
    }),
    check("order_items_quantity", sql`${isInteger("quantity")} AND quantity >= 1`),
    check("order_items_unit_price_cents", sql`${isInteger("unit_price_cents")} AND unit_price_cents >= 0`),
    check("order_items_total_cents", sql`${isInteger("total_cents")} AND total_cents = unit_price_cents * quantity`),
    check("order_items_position_integer", isInteger("position")),
  ],
);

// Relations for drizzle's relational queries: one SQL statement returns an order with its customer and items.
export const customersRelations = relations(customers, ({ many }) => ({
  orders: many(orders),
}));

export const productsRelations = relations(products, ({ many }) => ({
  images: many(productImages),
}));

export const productImagesRelations = relations(productImages, ({ one }) => ({
  product: one(products, {
    fields: [productImages.projectId, productImages.productId],
    references: [products.projectId, products.id],
  }),
}));

export const ordersRelations = relations(orders, ({ one, many }) => ({
  customer: one(customers, {
    fields: [orders.projectId, orders.customerId],
    references: [customers.projectId, customers.id],
  }),
  orderItems: many(orderItems),
}));

export const orderItemsRelations = relations(orderItems, ({ one }) => ({
  order: one(orders, {
    fields: [orderItems.projectId, orderItems.orderId],
    references: [orders.projectId, orders.id],
  }),
  product: one(products, {
    fields: [orderItems.projectId, orderItems.productId],
    references: [products.projectId, products.id],
  }),
}));

// Idempotency-Key records: one per (project, key). A request claims its key ("in_flight") before running;
// the write batch that creates the resource also stores the response ("done"), so a replay returns exactly
// what the first request answered. The scheduled handler prunes records older than 24 h.
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    projectId: text("project_id").notNull(),
    key: text("key").notNull(),
    token: text("token").notNull(),
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.key] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
    check("idempotency_keys_state", sql`state IN ('in_flight', 'done')`),
  ],
);

// Orders per (project, status), kept exactly by triggers (drizzle/0002): an unfiltered or status-only list
// reads its total from here instead of counting every order.
export const orderCounts = sqliteTable(
  "order_counts",
  {
    projectId: text("project_id").notNull(),
    status: text("status", { enum: orderStatuses }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.status] })],
);

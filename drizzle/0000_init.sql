CREATE TABLE `customers` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`phone` text,
	`company` text,
	`etag` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`),
	CONSTRAINT "customers_timestamps_integer" CHECK(typeof(created_at) = 'integer' AND typeof(updated_at) = 'integer')
);
--> statement-breakpoint
CREATE INDEX `customers_list_idx` ON `customers` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `order_items` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`order_id` text NOT NULL,
	`product_id` text NOT NULL,
	`position` integer NOT NULL,
	`quantity` integer NOT NULL,
	`unit_price_cents` integer NOT NULL,
	`total_cents` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`),
	FOREIGN KEY (`project_id`,`order_id`) REFERENCES `orders`(`project_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`,`product_id`) REFERENCES `products`(`project_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_items_quantity" CHECK(typeof(quantity) = 'integer' AND quantity >= 1),
	CONSTRAINT "order_items_unit_price_cents" CHECK(typeof(unit_price_cents) = 'integer' AND unit_price_cents >= 0),
	CONSTRAINT "order_items_total_cents" CHECK(typeof(total_cents) = 'integer' AND total_cents = unit_price_cents * quantity),
	CONSTRAINT "order_items_position_integer" CHECK(typeof(position) = 'integer')
);
--> statement-breakpoint
CREATE INDEX `order_items_order_idx` ON `order_items` (`project_id`,`order_id`,`position`);--> statement-breakpoint
CREATE INDEX `order_items_product_idx` ON `order_items` (`project_id`,`product_id`,`order_id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`customer_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`order_date` integer NOT NULL,
	`shipping_address` text,
	`billing_address` text,
	`notes` text,
	`total_cents` integer NOT NULL,
	`etag` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`),
	FOREIGN KEY (`project_id`,`customer_id`) REFERENCES `customers`(`project_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_total_cents" CHECK(typeof(total_cents) = 'integer' AND total_cents >= 0),
	CONSTRAINT "orders_status" CHECK(status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
	CONSTRAINT "orders_timestamps_integer" CHECK(typeof(order_date) = 'integer' AND typeof(created_at) = 'integer' AND typeof(updated_at) = 'integer')
);
--> statement-breakpoint
CREATE INDEX `orders_list_idx` ON `orders` (`project_id`,`order_date`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `orders_status_idx` ON `orders` (`project_id`,`status`,`order_date`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `orders_customer_idx` ON `orders` (`project_id`,`customer_id`,`order_date`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `product_images` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`product_id` text NOT NULL,
	`position` integer NOT NULL,
	`url` text NOT NULL,
	`name` text,
	PRIMARY KEY(`project_id`, `id`),
	FOREIGN KEY (`project_id`,`product_id`) REFERENCES `products`(`project_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "product_images_position_integer" CHECK(typeof(position) = 'integer')
);
--> statement-breakpoint
CREATE INDEX `product_images_product_idx` ON `product_images` (`project_id`,`product_id`,`position`);--> statement-breakpoint
CREATE TABLE `products` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`sku` text,
	`category_id` text,
	`price_cents` integer NOT NULL,
	`units_in_stock` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`etag` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`),
	CONSTRAINT "products_price_cents" CHECK(typeof(price_cents) = 'integer' AND price_cents >= 0),
	CONSTRAINT "products_units_in_stock" CHECK(typeof(units_in_stock) = 'integer' AND units_in_stock >= 0),
	CONSTRAINT "products_status" CHECK(status IN ('active', 'inactive', 'discontinued')),
	CONSTRAINT "products_timestamps_integer" CHECK(typeof(created_at) = 'integer' AND typeof(updated_at) = 'integer')
);
--> statement-breakpoint
CREATE INDEX `products_list_idx` ON `products` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `products_status_idx` ON `products` (`project_id`,`status`,`created_at`,`id`);
CREATE TABLE `order_counts` (
	`project_id` text NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`project_id`, `status`)
);

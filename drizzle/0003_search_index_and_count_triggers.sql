-- Indexed substring search over the orders' notes and addresses: an FTS5 index with the trigram tokenizer
-- (case-insensitive). It is an external-content index on orders (keyed by orders.rowid) kept exactly in sync
-- by the triggers below, in the same transaction as every write. Should it ever drift (e.g. after a VACUUM
-- renumbered rowids), `INSERT INTO orders_search(orders_search) VALUES ('rebuild');` rebuilds it from orders.
CREATE VIRTUAL TABLE `orders_search` USING fts5(
  `notes`, `billing_address`, `shipping_address`,
  content = 'orders', content_rowid = 'rowid', tokenize = 'trigram'
);
--> statement-breakpoint
INSERT INTO `orders_search`(`orders_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `orders_search_after_insert` AFTER INSERT ON `orders` BEGIN
  INSERT INTO `orders_search`(rowid, `notes`, `billing_address`, `shipping_address`)
  VALUES (new.rowid, new.`notes`, new.`billing_address`, new.`shipping_address`);
END;
--> statement-breakpoint
CREATE TRIGGER `orders_search_after_delete` AFTER DELETE ON `orders` BEGIN
  INSERT INTO `orders_search`(`orders_search`, rowid, `notes`, `billing_address`, `shipping_address`)
  VALUES ('delete', old.rowid, old.`notes`, old.`billing_address`, old.`shipping_address`);
END;
--> statement-breakpoint
CREATE TRIGGER `orders_search_after_update` AFTER UPDATE OF `notes`, `billing_address`, `shipping_address` ON `orders` BEGIN
  INSERT INTO `orders_search`(`orders_search`, rowid, `notes`, `billing_address`, `shipping_address`)
  VALUES ('delete', old.rowid, old.`notes`, old.`billing_address`, old.`shipping_address`);
  INSERT INTO `orders_search`(rowid, `notes`, `billing_address`, `shipping_address`)
  VALUES (new.rowid, new.`notes`, new.`billing_address`, new.`shipping_address`);
END;
--> statement-breakpoint
-- order_counts holds the number of orders per (project, status), maintained here so that it is exact
-- whatever writes the orders table.
INSERT INTO `order_counts`(`project_id`, `status`, `count`)
  SELECT `project_id`, `status`, count(*) FROM `orders` GROUP BY `project_id`, `status`;
--> statement-breakpoint
CREATE TRIGGER `order_counts_after_insert` AFTER INSERT ON `orders` BEGIN
  INSERT OR IGNORE INTO `order_counts`(`project_id`, `status`, `count`) VALUES (new.`project_id`, new.`status`, 0);
  UPDATE `order_counts` SET `count` = `count` + 1 WHERE `project_id` = new.`project_id` AND `status` = new.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `order_counts_after_delete` AFTER DELETE ON `orders` BEGIN
  UPDATE `order_counts` SET `count` = `count` - 1 WHERE `project_id` = old.`project_id` AND `status` = old.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `order_counts_after_status_change` AFTER UPDATE OF `status` ON `orders`
WHEN old.`status` IS NOT new.`status` BEGIN
  UPDATE `order_counts` SET `count` = `count` - 1 WHERE `project_id` = old.`project_id` AND `status` = old.`status`;
  INSERT OR IGNORE INTO `order_counts`(`project_id`, `status`, `count`) VALUES (new.`project_id`, new.`status`, 0);
  UPDATE `order_counts` SET `count` = `count` + 1 WHERE `project_id` = new.`project_id` AND `status` = new.`status`;
END;

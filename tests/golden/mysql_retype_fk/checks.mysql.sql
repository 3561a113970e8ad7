SELECT 'items still reference orders' AS `check`, count(*) = 1 AS ok FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'items' AND REFERENCED_TABLE_NAME = 'orders';
SELECT 'every item has its order', count(*) = 0 FROM items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL;
SELECT 'no helper table is left', count(*) = 0 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'zdm\_%';

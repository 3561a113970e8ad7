-- The trigger made outside zdm fired for every insert of the writer: before,
-- during and after the online copy of orders.
SELECT 'every insert audited', (SELECT count(*) FROM order_audit WHERE what = 'insert') =
    (SELECT count(*) FROM orders WHERE label LIKE 'old %');
SELECT 'the writer inserted rows', count(*) > 0 FROM orders WHERE label LIKE 'old %';
-- Each kept object works on the rebuilt tables (the probe rows go again).
INSERT INTO orders (label, amount) VALUES ('probe', 999);
SELECT 'orders_audit fires', count(*) = 1 FROM order_audit
 WHERE what = 'insert' AND order_id = (SELECT id FROM orders WHERE label = 'probe');
SELECT 'the view over the view reads orders', count(*) = 1 FROM big_order_labels WHERE label = 'probe';
SELECT 'the expression index is used', count(*) = 1 FROM pragma_index_info('orders_label_lower');
DELETE FROM order_audit WHERE order_id = (SELECT id FROM orders WHERE label = 'probe');
DELETE FROM orders WHERE label = 'probe';
INSERT INTO tag_names (name) VALUES ('probe tag');
SELECT 'the INSTEAD OF trigger fires, the new default applies', count(*) = 1 FROM tags
 WHERE name = 'probe tag' AND note = 'none';
UPDATE tags SET note = 'probed' WHERE name = 'probe tag';
SELECT 'the trigger on tags fires', count(*) = 1 FROM order_audit WHERE what = 'tag probe tag';
DELETE FROM order_audit WHERE what = 'tag probe tag';
DELETE FROM tags WHERE name = 'probe tag';
SELECT 'no copy left behind', count(*) = 0 FROM sqlite_schema
 WHERE name LIKE 'zdm\_copy\_%' ESCAPE '\' OR name LIKE 'zdm\_new\_%' ESCAPE '\' OR name LIKE 'zdm\_keep%' ESCAPE '\';

-- After rollback.sql: the objects made outside zdm are back (their SQL is
-- compared with the base's) and work on the table the rollback rebuilt.
INSERT INTO orders (label, amount) VALUES ('probe', 999);
SELECT 'orders_audit fires', count(*) = 1 FROM order_audit
 WHERE what = 'insert' AND order_id = (SELECT id FROM orders WHERE label = 'probe');
SELECT 'the view over the view reads orders', count(*) = 1 FROM big_order_labels WHERE label = 'probe';
INSERT INTO tag_names (name) VALUES ('probe tag');
SELECT 'the INSTEAD OF trigger fires', count(*) = 1 FROM tags WHERE name = 'probe tag' AND note IS NULL;
UPDATE tags SET note = 'probed' WHERE name = 'probe tag';
SELECT 'the trigger on tags fires', count(*) = 1 FROM order_audit WHERE what = 'tag probe tag';
SELECT 'no copy left behind', count(*) = 0 FROM sqlite_schema
 WHERE name LIKE 'zdm\_copy\_%' ESCAPE '\' OR name LIKE 'zdm\_new\_%' ESCAPE '\' OR name LIKE 'zdm\_keep%' ESCAPE '\';

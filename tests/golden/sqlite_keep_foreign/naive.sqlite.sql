-- The 12 steps by hand (https://www.sqlite.org/lang_altertable.html#otheralter),
-- with the indexes, triggers and views made outside zdm re-created from the
-- same text; the views and the trigger on order_audit that name a table
-- being rebuilt are dropped before its rename (3.26+ checks every view and
-- trigger there).
PRAGMA foreign_keys = OFF;
BEGIN;
DROP VIEW tag_names;
CREATE TABLE new_tags (id INTEGER NOT NULL, name TEXT NOT NULL, note TEXT DEFAULT 'none',
    CONSTRAINT tags_pkey PRIMARY KEY (id));
INSERT INTO new_tags SELECT * FROM tags;
DROP TABLE tags;
ALTER TABLE new_tags RENAME TO tags;
CREATE INDEX tags_name_lower ON tags (lower(name));
CREATE VIEW tag_names AS SELECT id, name FROM tags;
CREATE TRIGGER tag_names_insert INSTEAD OF INSERT ON tag_names BEGIN
          INSERT INTO tags (name) VALUES (NEW.name);
      END;
CREATE TRIGGER "tags audit" AFTER UPDATE OF note ON tags BEGIN
          INSERT INTO order_audit (order_id, what) VALUES (NEW.id, 'tag ' || NEW.name);
      END;
DROP VIEW big_orders;
DROP VIEW big_order_labels;
DROP TRIGGER order_audit_touch;
CREATE TABLE new_orders (id INTEGER NOT NULL, label TEXT NOT NULL, amount INTEGER,
    n INTEGER NOT NULL DEFAULT 0, CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_n_check CHECK (n >= 0));
INSERT INTO new_orders SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE new_orders RENAME TO orders;
CREATE INDEX orders_amount ON orders (amount);
CREATE INDEX orders_label_lower ON orders (lower(label));
CREATE VIEW big_orders AS SELECT id, label, amount FROM orders WHERE amount > 900;
CREATE VIEW big_order_labels AS SELECT label FROM big_orders -- a view over a view
      ;
CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN
          INSERT INTO order_audit (order_id, what) VALUES (NEW.id, 'insert');
      END;
CREATE TRIGGER order_audit_touch AFTER DELETE ON order_audit BEGIN
          UPDATE orders SET label = label WHERE id = OLD.order_id;
      END;
COMMIT;
PRAGMA foreign_keys = ON;

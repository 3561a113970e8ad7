UPDATE items SET status = 'active' WHERE status IS NULL;
UPDATE items SET name = initcap(name);
CREATE INDEX idx_items_status ON items (status);

UPDATE items SET status = 'active' WHERE status IS NULL OR status = '';
ALTER TABLE items ALTER COLUMN status SET NOT NULL;

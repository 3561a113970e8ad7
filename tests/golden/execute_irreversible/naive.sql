ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'basic';
UPDATE users SET plan = 'basic' WHERE plan IS NULL;

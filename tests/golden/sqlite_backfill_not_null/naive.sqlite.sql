-- ADD COLUMN refuses NOT NULL without a default: add, fill, then the 12 steps.
ALTER TABLE users ADD COLUMN name_len INTEGER;
UPDATE users SET name_len = length(coalesce(name, ''));
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER NOT NULL, email TEXT NOT NULL, name TEXT, n INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT (now()), name_len INTEGER NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id));
INSERT INTO new_users SELECT * FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;

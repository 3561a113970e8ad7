-- SQLite cannot drop NOT NULL in place: the 12 steps, by hand.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER NOT NULL, email TEXT NOT NULL, name TEXT, n INTEGER NOT NULL DEFAULT 0,
    plan TEXT DEFAULT 'free', created_at TIMESTAMPTZ NOT NULL DEFAULT (now()), CONSTRAINT users_pkey PRIMARY KEY (id));
INSERT INTO new_users SELECT * FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;

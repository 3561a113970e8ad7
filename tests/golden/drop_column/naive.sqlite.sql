-- nickname is indexed and in a CHECK, so DROP COLUMN refuses it: the 12 steps.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER NOT NULL, email TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT users_pkey PRIMARY KEY (id));
INSERT INTO new_users SELECT id, email, n FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;

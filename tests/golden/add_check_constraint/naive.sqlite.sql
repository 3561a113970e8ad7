PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER NOT NULL, email TEXT NOT NULL, age INTEGER, n INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT users_pkey PRIMARY KEY (id), CHECK (age >= 0 and age < 150));
INSERT INTO new_users SELECT * FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;

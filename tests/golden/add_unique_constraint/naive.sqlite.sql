PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER NOT NULL, tenant_id INTEGER NOT NULL, email TEXT NOT NULL, name TEXT,
    n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id), UNIQUE (tenant_id, email));
INSERT INTO new_users SELECT * FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;

-- The 12 steps by hand, with the options and collations written again.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_items (id INTEGER NOT NULL CONSTRAINT items_pkey PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL COLLATE nocase, code TEXT COLLATE rtrim, qty INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT items_qty_check CHECK (qty >= 0)) STRICT;
INSERT INTO new_items SELECT * FROM items;
DROP TABLE items;
ALTER TABLE new_items RENAME TO items;
ALTER TABLE items ADD COLUMN tag TEXT COLLATE nocase;
CREATE TABLE new_tags (name TEXT NOT NULL COLLATE nocase, note TEXT DEFAULT 'none',
    CONSTRAINT tags_pkey PRIMARY KEY (name)) WITHOUT ROWID;
INSERT INTO new_tags SELECT * FROM tags;
DROP TABLE tags;
ALTER TABLE new_tags RENAME TO tags;
COMMIT;
PRAGMA foreign_keys = ON;

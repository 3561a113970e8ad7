PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_events (id BIGINT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT events_pkey PRIMARY KEY (id));
INSERT INTO new_events SELECT * FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
COMMIT;
PRAGMA foreign_keys = ON;

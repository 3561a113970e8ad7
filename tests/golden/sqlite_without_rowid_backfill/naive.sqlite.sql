-- The column added, filled and made NOT NULL by hand: the 12 steps.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_events (region TEXT NOT NULL COLLATE nocase, at DOUBLE NOT NULL, kind TEXT NOT NULL,
    payload TEXT, n INTEGER NOT NULL DEFAULT 0, score INTEGER NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (region, at)) WITHOUT ROWID;
INSERT INTO new_events SELECT region, at, lower(kind), payload, n, length(coalesce(payload, '')) FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
COMMIT;
PRAGMA foreign_keys = ON;

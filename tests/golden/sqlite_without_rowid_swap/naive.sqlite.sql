PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_readings (sensor BLOB NOT NULL, seq BIGINT NOT NULL, value INTEGER, n INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT readings_pkey PRIMARY KEY (sensor, seq)) WITHOUT ROWID;
INSERT INTO new_readings SELECT sensor, seq, CAST(round(CAST(value AS REAL) * 1000) AS INTEGER), n FROM readings;
DROP TABLE readings;
ALTER TABLE new_readings RENAME TO readings;
CREATE INDEX readings_value ON readings (value);
COMMIT;
PRAGMA foreign_keys = ON;

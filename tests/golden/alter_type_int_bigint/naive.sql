ALTER TABLE events ALTER COLUMN score TYPE bigint;

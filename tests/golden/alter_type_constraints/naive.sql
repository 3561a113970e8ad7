ALTER TABLE players ALTER COLUMN team_id TYPE bigint;

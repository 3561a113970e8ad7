SELECT 'team_id is bigint not null' AS check, format_type(atttypid, atttypmod) = 'bigint' AND attnotnull AS ok
  FROM pg_attribute WHERE attrelid = 'players'::regclass AND attname = 'team_id';
SELECT 'the foreign key and the unique constraint are back, valid', count(*) = 2
  FROM pg_constraint WHERE conrelid = 'players'::regclass AND convalidated
   AND conname IN ('players_team_id_fkey', 'players_team_jersey');
SELECT 'untouched seed rows kept their team', count(*) = 0 FROM players WHERE n = 0 AND jersey <= 20000 AND team_id <> (jersey % 100) + 1;
SELECT 'updated rows moved team', count(*) = 0 FROM players WHERE n > 0 AND jersey <= 20000 AND team_id <> ((id + n - 1) % 100) + 1;

SELECT 'team_id is int with its constraints' AS check,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'players'::regclass AND attname = 'team_id') = 'integer'
   AND (SELECT count(*) FROM pg_constraint WHERE conrelid = 'players'::regclass AND convalidated
         AND conname IN ('players_team_id_fkey', 'players_team_jersey')) = 2 AS ok;
SELECT 'untouched seed rows kept their team', count(*) = 0 FROM players WHERE n = 0 AND jersey <= 20000 AND team_id <> (jersey % 100) + 1;

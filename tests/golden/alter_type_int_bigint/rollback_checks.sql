SELECT 'score is int again' AS check, format_type(atttypid, atttypmod) = 'integer' AND attnotnull AS ok
  FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'score';
SELECT 'seed scores kept', count(*) = 0 FROM events WHERE kind LIKE 'seed%' AND score < id * 7;
SELECT 'the check on score is there, validated', EXISTS (
  SELECT 1 FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_score_check' AND convalidated);

SELECT 'score is bigint not null default 0' AS check,
       format_type(a.atttypid, a.atttypmod) = 'bigint' AND a.attnotnull
       AND pg_get_expr(d.adbin, d.adrelid) = '0'
  FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'events'::regclass AND a.attname = 'score';
SELECT 'seed scores kept (score >= 7 * id for seed rows)', count(*) = 0
  FROM events WHERE kind LIKE 'seed%' AND score < id * 7;
SELECT 'rows the old application inserted got the default', count(*) > 0 FROM events WHERE kind LIKE 'old%';
SELECT 'both indexes are on the bigint column', count(*) = 2
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'events'::regclass AND c.relname IN ('events_score', 'events_kind_score') AND i.indisvalid;
SELECT 'the check on score is back, validated', EXISTS (
  SELECT 1 FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_score_check' AND convalidated);

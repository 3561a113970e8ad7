-- Data checks after the forward run: each SELECT returns one row (check, ok).
SELECT 'every score follows the where that matches its row' AS check, count(*) = 0 AS ok
  FROM app."Events"
 WHERE score IS DISTINCT FROM CASE WHEN v % 2 = 0 THEN v + weight ELSE 0 - v END;
SELECT 'old rows got the weight default', bool_and(weight = 5) FROM app."Events";
SELECT 'the later tier backfill wins where it matches', count(*) = 0
  FROM app."Events" WHERE tier IS DISTINCT FROM CASE WHEN v >= 500 THEN 'high' ELSE 'low' END;

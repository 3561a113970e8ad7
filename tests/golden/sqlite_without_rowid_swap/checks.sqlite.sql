-- Every seeded reading converted, whether a batch copied it or a copy
-- trigger did (the writer updated rows all over the table).
SELECT 'seeded values in milli-units', count(*) = 0 FROM readings
 WHERE sensor <> x'00' AND value IS NOT CAST(round(CAST(printf('%.3f', seq / 7.0) AS REAL) * 1000) AS INTEGER);
SELECT 'no seeded row lost', count(*) = 120000 FROM readings WHERE sensor <> x'00';
SELECT 'the keys are still blobs', count(*) = 0 FROM readings WHERE typeof(sensor) <> 'blob';
SELECT 'rows the writer updated are there', count(*) > 0 FROM readings WHERE n > 0;
SELECT 'value is an integer everywhere', count(*) = 0 FROM readings WHERE typeof(value) NOT IN ('integer', 'null');
SELECT 'still without rowid', (SELECT upper(sql) FROM sqlite_schema WHERE name = 'readings') LIKE '%) WITHOUT ROWID';
SELECT 'no copy left behind', count(*) = 0 FROM sqlite_schema
 WHERE name LIKE 'zdm\_copy\_%' ESCAPE '\' OR name LIKE 'zdm\_new\_%' ESCAPE '\' OR name LIKE 'zdm\_keep%' ESCAPE '\';

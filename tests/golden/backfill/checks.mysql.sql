SELECT 'every name_len = char_length(coalesce(name, ''''))' AS `check`,
       count(*) = 0 AS ok FROM users WHERE NOT (name_len <=> char_length(coalesce(name, '')));
SELECT 'the old application renamed rows during the run', count(*) > 0 FROM users WHERE name LIKE 'renamed %';

SELECT 'every name_len is the length of name' AS "check", NOT EXISTS (SELECT 1 FROM users WHERE name_len IS NOT length(coalesce(name, '')) AND email NOT LIKE 'new%') AS ok;

ALTER TABLE users ADD COLUMN name_len int;
UPDATE users SET name_len = char_length(coalesce(name, ''));

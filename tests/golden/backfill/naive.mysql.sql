ALTER TABLE users ADD COLUMN name_len INT;
UPDATE users SET name_len = char_length(coalesce(name, ''));

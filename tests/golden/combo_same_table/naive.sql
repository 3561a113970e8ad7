ALTER TABLE members RENAME COLUMN nick TO handle;
ALTER TABLE members ALTER COLUMN age TYPE int USING nullif(age, '')::int;
ALTER TABLE members ADD COLUMN email_domain text;
UPDATE members SET email_domain = split_part(email, '@', 2);

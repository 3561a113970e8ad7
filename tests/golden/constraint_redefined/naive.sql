ALTER TABLE users DROP CONSTRAINT email_ok;
ALTER TABLE users ADD CONSTRAINT email_ok CHECK (email like '%@%.%');
ALTER TABLE users ADD UNIQUE (email);

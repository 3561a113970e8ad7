ALTER TABLE accounts ALTER COLUMN handle TYPE varchar(64);

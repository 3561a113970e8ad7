ALTER TABLE accounts ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE accounts ADD COLUMN nick varchar(40) COLLATE "C";

ALTER TABLE customers RENAME COLUMN fullname TO display_name;

CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');
ALTER TABLE users ADD COLUMN mood mood DEFAULT 'ok';

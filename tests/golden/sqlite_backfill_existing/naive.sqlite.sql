UPDATE users SET email = lower(trim(email));
CREATE INDEX users_email ON users (email);

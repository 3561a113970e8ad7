-- The headline migration as one would naively write it.
ALTER TABLE users ADD COLUMN email_normalized text;
UPDATE users SET email_normalized = lower(btrim(email));
CREATE UNIQUE INDEX idx_users_email_norm ON users (email_normalized);
ALTER TABLE users ALTER COLUMN email_normalized SET NOT NULL;

ALTER TABLE users ADD COLUMN email_normalized VARCHAR(200);
UPDATE users SET email_normalized = lower(trim(email));
CREATE UNIQUE INDEX idx_users_email_norm ON users (email_normalized);
ALTER TABLE users MODIFY email_normalized VARCHAR(200) NOT NULL;

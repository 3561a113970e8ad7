CREATE INDEX idx_users_email_lower ON users (lower(email)) WHERE name IS NOT NULL;
UPDATE users SET name = 'anonymous' WHERE name IS NULL;

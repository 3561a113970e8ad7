ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'trial';
CREATE INDEX idx_users_created_brin ON users USING brin (created_at);

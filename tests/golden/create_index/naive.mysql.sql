CREATE INDEX idx_users_created_at ON users (created_at DESC, id);

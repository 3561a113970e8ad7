CREATE TABLE orders (
    id INTEGER NOT NULL, user_id BIGINT NOT NULL, sku VARCHAR(32) NOT NULL,
    total NUMERIC(12,2) NOT NULL DEFAULT 0, note TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT (now()),
    CONSTRAINT orders_total_check CHECK (total >= 0), CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_user_id_sku_key UNIQUE (user_id, sku),
    CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE);

CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sku        varchar(32) NOT NULL,
    total      numeric(12,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    note       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, sku)
);

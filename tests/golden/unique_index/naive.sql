CREATE UNIQUE INDEX accounts_tenant_handle ON accounts (tenant, handle);
CREATE UNIQUE INDEX accounts_live_email ON accounts (lower(email)) WHERE deleted_at IS NULL;

SELECT 'every order has its code', count(*) = 0 FROM orders WHERE code IS NOT 'o-' || id;
SELECT 'qty is at least 1', count(*) = 0 FROM orders WHERE qty IS NULL OR qty < 1;
SELECT 'the foreign key is in place', count(*) = 1 FROM pragma_foreign_key_list('orders')
 WHERE "from" = 'account_id' AND "table" = 'accounts' AND on_delete = 'SET NULL';

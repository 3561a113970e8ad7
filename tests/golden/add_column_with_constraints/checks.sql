SELECT 'every order has its code' AS "check",
       NOT EXISTS (SELECT 1 FROM orders WHERE code IS DISTINCT FROM 'o-' || id) AS ok

SELECT '"from" = "select" || ''/'' || "Qty" on every row' AS check,
       count(*) = 0 AS ok FROM "Order Items" WHERE "from" IS DISTINCT FROM "select" || '/' || "Qty";

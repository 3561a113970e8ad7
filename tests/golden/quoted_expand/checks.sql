SELECT 'Unit Price is numeric(14,4)' AS check,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '"Line Items"'::regclass AND attname = 'Unit Price') = 'numeric(14,4)' AS ok;
SELECT 'untouched seed rows kept price and SKU', count(*) = 0 FROM "Line Items"
 WHERE n = 0 AND "Sku Code" LIKE 'SKU-%' AND ("Unit Price" <> id / 100.0 OR "Sku Code" <> 'SKU-' || id);
SELECT 'SKUs the old application wrote arrived', count(*) > 0 FROM "Line Items" WHERE "Sku Code" LIKE 'OLD-%' OR "Sku Code" LIKE 'UPD-%';
SELECT 'both indexes valid', count(*) = 2 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = '"Line Items"'::regclass AND c.relname IN ('Line Items by Price', 'Line Items by SKU') AND i.indisvalid;

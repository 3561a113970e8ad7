SELECT 'SKU and numeric(10,2) are back' AS check,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '"Line Items"'::regclass AND attname = 'SKU' AND NOT attisdropped)
   AND (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '"Line Items"'::regclass AND attname = 'Unit Price') = 'numeric(10,2)' AS ok;
SELECT 'untouched seed rows kept price and SKU', count(*) = 0 FROM "Line Items"
 WHERE n = 0 AND "SKU" LIKE 'SKU-%' AND ("Unit Price" <> id / 100.0 OR "SKU" <> 'SKU-' || id);

ALTER TABLE "Line Items" ALTER COLUMN "Unit Price" TYPE numeric(14,4);
ALTER TABLE "Line Items" RENAME COLUMN "SKU" TO "Sku Code";

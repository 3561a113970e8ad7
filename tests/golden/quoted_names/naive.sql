ALTER TABLE "Order Items" ADD COLUMN "from" text;
UPDATE "Order Items" SET "from" = "select" || '/' || "Qty";
CREATE INDEX "Order Items by ""select""" ON "Order Items" ("select", "Qty" DESC);
ALTER TABLE "Order Items" ALTER COLUMN "select" SET NOT NULL;

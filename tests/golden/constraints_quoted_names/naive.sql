ALTER TABLE "Order Items" ADD CONSTRAINT "one line per SKU" UNIQUE ("Order Id", "Sku");
ALTER TABLE "Order Items" ADD CONSTRAINT "Qty must be ""positive""" CHECK ("Qty" > 0);
ALTER TABLE "Order Items" ADD CONSTRAINT "Order Ref" FOREIGN KEY ("Order Id") REFERENCES "Orders" ON DELETE CASCADE;

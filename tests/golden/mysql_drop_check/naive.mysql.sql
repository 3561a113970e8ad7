ALTER TABLE items DROP CONSTRAINT items_qty_small;

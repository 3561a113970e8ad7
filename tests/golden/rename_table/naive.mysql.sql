RENAME TABLE orders TO purchases;

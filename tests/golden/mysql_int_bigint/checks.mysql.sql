SELECT 'the new application wrote scores past the int range' AS `check`, count(*) > 0 AS ok FROM events WHERE score > 2147483647;
SELECT 'no helper table is left', count(*) = 0 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'zdm\_%';

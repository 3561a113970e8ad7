SELECT 'nick is collated utf8mb4_bin' AS `check`, COLLATION_NAME = 'utf8mb4_bin' AS ok
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'nick';
SELECT 'email is collated utf8mb4_bin', COLLATION_NAME = 'utf8mb4_bin'
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'email';

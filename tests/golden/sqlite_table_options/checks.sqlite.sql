-- The counter survived the rebuild (120100 before, the writer's inserts
-- after it) and no deleted number came back.
SELECT 'autoincrement counter kept', (SELECT seq FROM sqlite_sequence WHERE name = 'items') >= 120100;
SELECT 'no number reused', count(*) = 0 FROM items WHERE id > 120000 AND id <= 120100;
SELECT 'writer rows numbered after the counter', count(*) = 0 FROM items WHERE label LIKE 'old %' AND id <= 120100;
-- The collations still apply.
SELECT 'label is nocase', count(*) = 1 FROM items WHERE label = 'ITEM 17';
SELECT 'code is rtrim', count(*) = 1 FROM items WHERE code = 'c17';
SELECT 'tag is nocase', (SELECT sql FROM sqlite_schema WHERE name = 'items') LIKE '%tag TEXT COLLATE nocase%';
SELECT 'tags.name is nocase', count(*) = 1 FROM tags WHERE name = 'green';
-- STRICT and WITHOUT ROWID kept.
SELECT 'items is strict', (SELECT upper(sql) FROM sqlite_schema WHERE name = 'items') LIKE '%) STRICT';
SELECT 'tags is without rowid', (SELECT upper(sql) FROM sqlite_schema WHERE name = 'tags') LIKE '%) WITHOUT ROWID';
SELECT 'the default applies', (SELECT count(*) FROM pragma_table_info('tags') WHERE name = 'note' AND dflt_value = '''none''') = 1;

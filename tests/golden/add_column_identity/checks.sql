SELECT 'every row has a distinct seq_no' AS check,
       count(*) = count(DISTINCT seq_no) AND count(seq_no) = count(*) AS ok FROM users;
SELECT 'every row has a distinct ticket', count(*) = count(DISTINCT ticket) AND count(ticket) = count(*) FROM users;
SELECT 'a new row gets the next seq_no', (SELECT last_value FROM users_seq_no_seq) >= (SELECT max(seq_no) FROM users);
SELECT 'the helper sequence is gone', to_regclass('zdm_seq_users_seq_no') IS NULL;

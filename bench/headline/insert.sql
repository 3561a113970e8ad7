-- bench/headline/insert.sql - the writer's insert transaction (pgbench script).
-- app 1: the old application, which does not know email_normalized (the
-- sync trigger, or nothing in the naive case, fills it); app 2: the new
-- application, deployed at the plan's deploy checkpoint, which writes it.
-- The e-mail is unique (a random UUID), with case and blanks to normalise.
SELECT v AS app FROM bench_app \gset
\if :app = 0
SELECT bench_writer_stop();
\elif :app = 1
INSERT INTO users (email, name) VALUES (' W' || gen_random_uuid() || '@Example.COM ', 'bench-old');
\else
INSERT INTO users (email, name, email_normalized)
     SELECT e, 'bench-new', lower(btrim(e)) FROM (SELECT ' W' || gen_random_uuid() || '@Example.COM ' AS e) AS w;
\endif

-- bench/headline/update.sql - the writer's update transaction (pgbench script).
-- Every update adds 1 to n, so the sum of n after the run, minus the sum
-- before, must equal the number of committed updates in the pgbench log.
-- The control row tells the writer which application it is; 0 stops it
-- (the failing statement ends the client without writing: pgbench 15 has
-- no other way to stop cleanly, and its log is only complete on a clean end).
SELECT v AS app FROM bench_app \gset
\if :app = 0
SELECT bench_writer_stop();
\endif
\set id random(1, :rows)
UPDATE users SET n = n + 1 WHERE id = :id;

/*
 * mysql_sql.c - the SQL the MySQL/MariaDB driver (drv_mysql.c) gives the
 * runtime: who holds and who blocks locks, the backfill's throttles, and the
 * state tables' statements, in the driver's ?N parameter syntax. The same
 * text serves MySQL and MariaDB (information_schema, GET_LOCK, ON DUPLICATE
 * KEY UPDATE are common to both).
 */
#include "mysql_sql.h"

/* Sessions with an open InnoDB transaction, oldest first: the candidates for
 * holding the metadata lock a DDL waits for. MariaDB's metadata locks are
 * visible only through the metadata_lock_info plugin and MySQL's through
 * performance_schema.metadata_locks, neither on by default, so the tables a
 * session locked are not named (docs/runtime.md)
 * (https://mariadb.com/kb/en/information-schema-innodb_trx-table/,
 * https://mariadb.com/kb/en/information-schema-processlist-table/). */
#define MY_TRX_COLS                                                                          \
    "SELECT CAST(p.ID AS CHAR),"                                                             \
    " CONCAT('open transaction: ', t.trx_tables_in_use, ' table(s) in use, ',"               \
    " t.trx_tables_locked, ' locked, ', t.trx_rows_locked, ' row lock(s)'),"                 \
    " CAST(SEC_TO_TIME(TIMESTAMPDIFF(SECOND, t.trx_started, NOW())) AS CHAR),"               \
    " CONCAT(p.COMMAND, IF(COALESCE(p.STATE, '') = '', '', CONCAT(': ', p.STATE))),"         \
    " COALESCE(p.USER, '-'), COALESCE(NULLIF(p.HOST, ''), '-'),"                             \
    " LEFT(REGEXP_REPLACE(COALESCE(p.INFO, t.trx_query, ''), '\\\\s+', ' '), 100)"           \
    " FROM information_schema.INNODB_TRX t"                                                  \
    " JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
const char rt_my_lock_holders[] =
    MY_TRX_COLS " WHERE p.ID <> CONNECTION_ID() ORDER BY t.trx_started, p.ID LIMIT 10";
/* (pid) While that session waits for a metadata or table lock, the
 * transactions open for over a second (a writer's own short ones are not
 * what it waits for). */
const char rt_my_blockers[] =
    MY_TRX_COLS " WHERE p.ID <> CONNECTION_ID() AND p.ID <> CAST(?1 AS UNSIGNED)"
    " AND t.trx_started <= NOW() - INTERVAL 1 SECOND"
    " AND EXISTS (SELECT 1 FROM information_schema.PROCESSLIST w"
    "   WHERE w.ID = CAST(?1 AS UNSIGNED) AND w.STATE LIKE 'Waiting for%lock%')"
    " ORDER BY t.trx_started, p.ID LIMIT 10";

/* The sessions running a statement now, other than ours, as gh-ost's
 * Threads_running; the row estimate of information_schema.TABLES (InnoDB's
 * sampled estimate). Replica lag is not a SELECT on the primary (it is
 * SHOW REPLICA STATUS on each replica), so there is none: NULL, and
 * --max-replica-lag says it is off. */
const char rt_my_load[] =
    "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
    " AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID')"
    " AND COALESCE(USER, '') <> 'system user'";
const char rt_my_table_rows[] =
    "SELECT TABLE_ROWS FROM information_schema.TABLES"
    " WHERE TABLE_SCHEMA = COALESCE(?1, DATABASE()) AND TABLE_NAME = ?2";

/* The state tables (docs/runtime.md) in a database `zdm`, the PostgreSQL
 * driver's columns; keys are VARCHAR (an index needs a length). */
static const char *const my_state_ddl[] = {
    "CREATE DATABASE IF NOT EXISTS zdm CHARACTER SET utf8mb4",
    "CREATE TABLE IF NOT EXISTS zdm.runs (\n"
    "    run_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
    "    db VARCHAR(64) NOT NULL, plan VARCHAR(64) NOT NULL, command VARCHAR(32) NOT NULL,\n"
    "    title TEXT, target TEXT,\n"
    "    started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ended_at DATETIME(6) NULL,\n"
    "    resumed_from VARCHAR(64), outcome VARCHAR(255) NOT NULL DEFAULT 'running',\n"
    "    KEY (db, plan, run_id)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS zdm.steps (\n"
    "    db VARCHAR(64) NOT NULL, plan VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL,\n"
    "    phase VARCHAR(64) NOT NULL,\n"
    "    title TEXT, started_at DATETIME(6) NULL, finished_at DATETIME(6) NULL,\n"
    "    rolled_back_at DATETIME(6) NULL, attempts INT NOT NULL DEFAULT 0, run_id BIGINT,\n"
    "    error TEXT, PRIMARY KEY (db, plan, step)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS zdm.checkpoints (\n"
    "    db VARCHAR(64) NOT NULL, plan VARCHAR(64) NOT NULL, before_phase VARCHAR(64) NOT NULL,\n"
    "    passed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),\n"
    "    PRIMARY KEY (db, plan, before_phase)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS zdm.backfills (\n"
    "    db VARCHAR(64) NOT NULL, plan VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL,\n"
    "    hi TEXT, `cursor` TEXT,\n"
    "    rows_done BIGINT NOT NULL DEFAULT 0, batches BIGINT NOT NULL DEFAULT 0,\n"
    "    batch_size BIGINT NOT NULL, starts INT NOT NULL DEFAULT 1,\n"
    "    started DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),\n"
    "    updated DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),\n"
    "    PRIMARY KEY (db, plan, step)) ENGINE=InnoDB",
    NULL,
};

#define TF(x) "IF(" x ", 't', 'f')"
#define STAMP(x) "DATE_FORMAT(" x ", '%Y-%m-%d %H:%i:%s')"
/* The plan's lock on this database: GET_LOCK names are server-wide and at
 * most 64 characters. */
#define LOCK_NAME "CONCAT('zdm.', LEFT(SHA2(CONCAT(?1, '@', DATABASE()), 256), 60))"
/* A lock timeout in whole seconds, at least 1, from ?1 milliseconds. */
#define SECONDS "GREATEST(1, CEIL(CAST(?1 AS UNSIGNED) / 1000))"
const rt_state_sql rt_my_state = {
    .ddl = my_state_ddl,
    .exists = "SELECT " TF("count(*) = 3") " FROM information_schema.TABLES"
              " WHERE TABLE_SCHEMA = 'zdm' AND TABLE_NAME IN ('runs', 'steps', 'checkpoints')",
    .lock = "SELECT " TF("COALESCE(GET_LOCK(" LOCK_NAME ", 0), 0) = 1"),
    .unlock = "SELECT " TF("COALESCE(RELEASE_LOCK(" LOCK_NAME "), 0) = 1"),
    .run_begin = "INSERT INTO zdm.runs (db, plan, command, title, target)"
                 " VALUES (DATABASE(), ?1, ?2, ?3, ?4)",
    .run_resumed = "UPDATE zdm.runs SET resumed_from = ?2"
                   " WHERE run_id = CAST(?1 AS SIGNED) AND resumed_from IS NULL",
    .run_end = "UPDATE zdm.runs SET ended_at = NOW(6), outcome = ?2"
               " WHERE run_id = CAST(?1 AS SIGNED)",
    .steps = "SELECT step, " TF("started_at IS NOT NULL") ", " TF("finished_at IS NOT NULL") ", "
             TF("rolled_back_at IS NOT NULL") ", attempts, error, "
             STAMP("COALESCE(rolled_back_at, finished_at, started_at)")
             " FROM zdm.steps WHERE db = DATABASE() AND plan = ?1",
    .step_start =
        "INSERT INTO zdm.steps (db, plan, step, phase, title, run_id, started_at, attempts)"
        " VALUES (DATABASE(), ?1, ?2, ?3, ?4, CAST(?5 AS SIGNED), NOW(6), 1)"
        " ON DUPLICATE KEY UPDATE started_at = NOW(6), finished_at = NULL, rolled_back_at = NULL,"
        " error = NULL, run_id = VALUES(run_id), attempts = attempts + 1",
    .step_finish = "UPDATE zdm.steps SET finished_at = NOW(6), error = NULL"
                   " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .step_fail = "UPDATE zdm.steps SET error = ?3"
                 " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .step_retry = "UPDATE zdm.steps SET attempts = attempts + 1, error = ?3"
                  " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .step_rolled_back = "UPDATE zdm.steps SET rolled_back_at = NOW(6), error = NULL"
                        " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .checkpoints = "SELECT before_phase FROM zdm.checkpoints WHERE db = DATABASE() AND plan = ?1",
    .checkpoint_pass = "INSERT INTO zdm.checkpoints (db, plan, before_phase)"
                       " VALUES (DATABASE(), ?1, ?2)"
                       " ON DUPLICATE KEY UPDATE passed_at = passed_at",
    .checkpoints_clear = "DELETE FROM zdm.checkpoints WHERE db = DATABASE() AND plan = ?1",
    .runs = "SELECT run_id, command, " STAMP("started_at") ", COALESCE(resumed_from, ''), outcome"
            " FROM zdm.runs WHERE db = DATABASE() AND plan = ?1 ORDER BY run_id DESC LIMIT 5",
    .bf_get = "SELECT hi, `cursor`, rows_done, batches, batch_size, starts"
              " FROM zdm.backfills WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .bf_start = "INSERT INTO zdm.backfills (db, plan, step, hi, batch_size)"
                " VALUES (DATABASE(), ?1, ?2, ?3, CAST(?4 AS SIGNED))"
                " ON DUPLICATE KEY UPDATE hi = VALUES(hi), `cursor` = NULL, rows_done = 0,"
                " batches = 0, batch_size = VALUES(batch_size), starts = 1, started = NOW(6),"
                " updated = NOW(6)",
    .bf_resume = "UPDATE zdm.backfills SET starts = starts + 1, updated = NOW(6)"
                 " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .bf_batch = "UPDATE zdm.backfills SET `cursor` = ?3,"
                " rows_done = rows_done + CAST(?4 AS SIGNED),"
                " batches = batches + 1, batch_size = CAST(?5 AS SIGNED), updated = NOW(6)"
                " WHERE db = DATABASE() AND plan = ?1 AND step = ?2",
    .bf_list = "SELECT step, hi, `cursor`, rows_done, batches, batch_size, starts, "
               STAMP("updated") " FROM zdm.backfills WHERE db = DATABASE() AND plan = ?1"
               " ORDER BY step",
    .bf_current = "SELECT 1 FROM zdm.backfills b JOIN zdm.steps s ON s.db = b.db AND s.plan = b.plan"
                  " AND s.step = ?3 WHERE b.db = DATABASE() AND b.plan = ?1 AND b.step = ?2"
                  " AND b.started >= s.started_at",
    .tx_begin = "START TRANSACTION",
    .tx_commit = "COMMIT",
    .tx_rollback = "ROLLBACK",
    /* Session variables (there are no transaction-local ones); a row lock
     * and a metadata lock wait the same, in whole seconds. */
    .tx_lock_timeout = "SET SESSION innodb_lock_wait_timeout = " SECONDS ","
                       " SESSION lock_wait_timeout = " SECONDS,
};


import type { Sql } from "../platform/db/client.ts";

/**
 * The spec's database monitoring queries, corrected: pg_stat_statements columns are total_exec_time
 * and mean_exec_time since PostgreSQL 13. prometheus/postgres-exporter/queries.yaml exports the same.
 */
export async function hasPgStatStatements(sql: Sql): Promise<boolean> {
  const [row] = await sql`select 1 from pg_extension where extname = 'pg_stat_statements'`;
  return row !== undefined;
}

export function slowQueries(sql: Sql, minCalls: number, limit: number) {
  return sql`
    select query, calls,
           mean_exec_time as avg_time_ms,
           total_exec_time as total_time_ms,
           rows,
           100.0 * shared_blks_hit / nullif(shared_blks_hit + shared_blks_read, 0) as hit_percent
    from pg_stat_statements
    where calls > ${minCalls}
    order by mean_exec_time desc
    limit ${limit}`;
}

export function connectionStates(sql: Sql) {
  return sql`
    select coalesce(state, 'unknown') as state,
           count(*)::int as connection_count,
           avg(extract(epoch from (now() - state_change)))::float8 as avg_duration_seconds
    from pg_stat_activity
    where pid != pg_backend_pid()
    group by state`;
}

export function lockWaits(sql: Sql) {
  return sql`
    select l.locktype, l.database, l.relation::regclass::text as relation, l.page, l.tuple,
           l.virtualxid, l.transactionid::text, l.mode, l.granted,
           a.usename, a.query, a.query_start,
           extract(epoch from age(now(), a.query_start))::float8 as duration_seconds
    from pg_locks l
    left join pg_stat_activity a on l.pid = a.pid
    where not l.granted
    order by a.query_start`;
}

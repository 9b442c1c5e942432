{{ config(enabled=looker_stream_selected('history')) }}
{%- set with_queries = looker_stream_selected('query') %}
{#-
  Query run times per dashboard and per explore and ISO week (weeks start on Monday, UTC):
  runs and the 50th, 90th and 99th percentile and maximum of history.runtime (seconds).
  A run belongs to its dashboard when it ran on one (history.dashboard_id), else to its
  explore (model/explore of its query; needs the query stream). Only completed runs with
  a runtime count; cache hits are counted apart (cached_runs) and left out of the
  percentiles: they say nothing about how slow the content is. Grain: one row per
  content_kind (dashboard, explore), content_id and week_start.
-#}
with runs as (
    select
        case when history.dashboard_id is not null then 'dashboard' else 'explore' end as content_kind,
        {%- if with_queries %}
        coalesce(history.dashboard_id, queries.model || '/' || queries.explore) as content_id,
        {%- else %}
        history.dashboard_id as content_id,
        {%- endif %}
        {{ looker_week_start(looker_date('history.completed_at')) }} as week_start,
        history.runtime_seconds,
        history.is_cached
    from {{ ref('stg_looker__history') }} as history
    {%- if with_queries %}
    left join {{ ref('stg_looker__queries') }} as queries on queries.query_id = history.query_id
    {%- endif %}
    where history.completed_at is not null
      and history.runtime_seconds is not null
      and history.status = 'complete'
),

measured as (
    select
        runs.*,
        {{ looker_percentile('runtime_seconds', 0.5, 'content_kind, content_id, week_start') }} as p50,
        {{ looker_percentile('runtime_seconds', 0.9, 'content_kind, content_id, week_start') }} as p90,
        {{ looker_percentile('runtime_seconds', 0.99, 'content_kind, content_id, week_start') }} as p99
    from runs
    where content_id is not null and not is_cached
),

cached as (
    select content_kind, content_id, week_start, count(*) as cached_runs
    from runs
    where content_id is not null and is_cached
    group by content_kind, content_id, week_start
),

weekly as (
    select
        content_kind,
        content_id,
        week_start,
        count(*) as runs,
        -- to the millisecond: what Looker's runtime (seconds, 3 decimals) can resolve
        round(max(p50), 3) as p50_runtime_seconds,
        round(max(p90), 3) as p90_runtime_seconds,
        round(max(p99), 3) as p99_runtime_seconds,
        max(runtime_seconds) as max_runtime_seconds
    from measured
    group by content_kind, content_id, week_start
)

select
    {{ dbt.concat(['weekly.content_kind', "':'", 'weekly.content_id', "'|'", dbt.safe_cast('weekly.week_start', dbt.type_string())]) }} as slow_content_key,
    weekly.*,
    coalesce(cached.cached_runs, 0) as cached_runs
from weekly
left join cached
    on cached.content_kind = weekly.content_kind
    and cached.content_id = weekly.content_id
    and cached.week_start = weekly.week_start

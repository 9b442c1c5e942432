{{ config(enabled=looker_stream_selected('history')) }}
{%- set with_users = looker_stream_selected('user') %}
-- Who uses Looker how much: one row per user and day (UTC) of finished query runs.
-- Runs without a user (internal, PDT builds) are counted under user_id '(none)'.
with runs as (
    select
        coalesce(user_id, '(none)') as user_id,
        {{ looker_date('completed_at') }} as activity_date,
        history_id,
        source,
        status,
        result_source,
        is_cached,
        runtime_seconds,
        dashboard_id,
        look_id
    from {{ ref('stg_looker__history') }}
    where completed_at is not null
)

select
    runs.user_id || '|' || cast(runs.activity_date as {{ dbt.type_string() }}) as user_day_key,
    runs.user_id,
    {%- if with_users %}
    max(users.name) as user_name,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as user_name,
    {%- endif %}
    runs.activity_date,
    count(*) as queries,
    sum(case when runs.dashboard_id is not null then 1 else 0 end) as dashboard_queries,
    sum(case when runs.look_id is not null then 1 else 0 end) as look_queries,
    count(distinct runs.dashboard_id) as distinct_dashboards,
    count(distinct runs.look_id) as distinct_looks,
    sum(case when lower(runs.status) in ('error', 'failure', 'failed') then 1 else 0 end) as failed_queries,
    sum(case when runs.is_cached or lower(runs.result_source) = 'cache' then 1 else 0 end) as cached_queries,
    coalesce(sum(runs.runtime_seconds), 0) as total_runtime_seconds
from runs
{%- if with_users %}
left join {{ ref('stg_looker__users') }} as users on users.user_id = runs.user_id
{%- endif %}
group by runs.user_id, runs.activity_date

{{ config(enabled=looker_stream_selected('query_metrics')) }}
{%- set phases = ['queued', 'async_processing', 'project_init', 'model_init_computed', 'model_init_cache', 'explore_init', 'marshalled_cache_load', 'prepare', 'per_user_throttler', 'acquire_connection', 'connection_held', 'execute_main_query', 'cache_load', 'load_main_query_in_memory', 'load_process_and_stream_main_query', 'pdt', 'execute_totals_query', 'execute_row_totals_query', 'execute_grand_totals_query', 'post_processing', 'stream_to_cache'] %}
{#-
  Where query time goes, per ISO week (weeks start on Monday, UTC) and phase of Looker's
  Query Performance Metrics (queued, acquire_connection, execute_main_query, cache_load,
  post_processing, ...): the query tasks that went through the phase, the seconds spent in
  it in all, and the 50th and 90th percentile per task. A phase a task skipped (NULL) is
  not a zero: it counts in neither. Grain: one row per week_start and phase.
-#}
with phases as (
    {%- for phase in phases %}
    select
        {{ looker_week_start(looker_date('created_at')) }} as week_start,
        '{{ phase }}' as phase,
        {{ phase }}_seconds as seconds
    from {{ ref('stg_looker__query_metrics') }}
    where {{ phase }}_seconds is not null and created_at is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

measured as (
    select
        phases.*,
        {{ looker_percentile('seconds', 0.5, 'week_start, phase') }} as p50,
        {{ looker_percentile('seconds', 0.9, 'week_start, phase') }} as p90
    from phases
)

select
    {{ dbt.concat(['cast(week_start as ' ~ dbt.type_string() ~ ')', "'|'", 'phase']) }} as query_phase_week_key,
    week_start,
    phase,
    count(*) as tasks,
    round(sum(seconds), 3) as total_seconds,
    round(max(p50), 3) as p50_seconds,
    round(max(p90), 3) as p90_seconds,
    max(seconds) as max_seconds
from measured
group by week_start, phase

{{ config(enabled=looker_stream_selected('content_usage')) }}
{%- set channels = ['api', 'embed', 'public', 'schedule', 'other'] %}
{%- set with_content = looker_stream_selected('dashboard') or looker_stream_selected('look') %}
{#-
  Accesses per content item and day, from the differences between successive snapshots of
  the cumulative counters.

  - First run (the baseline): the counters hold all-time totals, not a day's usage, so the
    items seen by the first snapshot produce no row until they move again (no fake spike).
    Items that first appear in a later run count in full (everything happened since), unless
    the first load was limited by the tap's start_date (stg_looker__first_loads, from its
    audit): an item first seen later may then be an old one whose counters are all-time, so
    its first sighting is a baseline too. The cost: a new item's accesses before it was first
    seen are not counted; never a spike of all-time totals.
  - Attribution: a difference is attributed to the day of the item's last access in the
    newer snapshot. The accesses happened after `window_start` and at or before `window_end`
    (the last access). `window_start` is the latest access time the previous run had seen
    (its high-water mark); with daily runs that is one day; after a missed run it spans the
    gap, and `spans_missed_run` says the accesses may belong to earlier days too. A late row
    (Looker's copy brought it after a run had seen later accesses; the look-back exists to
    fetch these) happened before that mark: its window starts at the item's own previous
    last access instead (unknown, and flagged, for an item not seen before).
  - Counter resets: a counter lower than before counts from zero (its new value).
  - A counter Looker does not send (null: a dimension it stopped sending, or a loader that
    kept no value) is unknown, not zero: the last known value stands until it comes back,
    so neither a reset nor a spike is reported.
-#}
with versions as (
    select
        content_usage_id,
        content_id,
        content_type,
        last_accessed_time,
        {%- for c in channels %}
        {{ c }}_count,
        {%- endfor %}
        dbt_valid_from as observed_at
    from {{ ref('content_usage_snapshot') }}
),

runs as (
    select observed_at, max(last_accessed_time) as run_latest_access
    from versions
    group by observed_at
),

run_marks as (
    select
        observed_at,
        max(run_latest_access) over (
            order by observed_at rows between unbounded preceding and current row
        ) as high_water_mark,
        lag(observed_at) over (order by observed_at) as previous_run_at,
        min(observed_at) over () as first_run_at
    from runs
),

windows as (
    select run.observed_at, run.first_run_at, previous.high_water_mark as window_start
    from run_marks as run
    left join run_marks as previous on previous.observed_at = run.previous_run_at
),

known as (
    -- A counter's last known value: a null (not sent) carries the value before it. The
    -- running count of non-nulls numbers each known value's stretch (portable: no IGNORE
    -- NULLS, which BigQuery's lag lacks).
    select
        versions.*,
        {%- for c in channels %}
        count({{ c }}_count) over (
            partition by content_usage_id order by observed_at
            rows between unbounded preceding and current row
        ) as {{ c }}_stretch{{ ',' if not loop.last }}
        {%- endfor %}
    from versions
),

carried as (
    select
        content_usage_id,
        content_id,
        content_type,
        last_accessed_time,
        observed_at,
        {%- for c in channels %}
        max({{ c }}_count) over (
            partition by content_usage_id, {{ c }}_stretch
        ) as {{ c }}_count{{ ',' if not loop.last }}
        {%- endfor %}
    from known
),

sequenced as (
    select
        carried.*,
        row_number() over (
            partition by content_usage_id order by observed_at
        ) as version_number,
        lag(last_accessed_time) over (
            partition by content_usage_id order by observed_at
        ) as previous_accessed_time,
        {%- for c in channels %}
        lag({{ c }}_count) over (
            partition by content_usage_id order by observed_at
        ) as previous_{{ c }}_count{{ ',' if not loop.last }}
        {%- endfor %}
    from carried
),

first_load as (
    select coalesce(max(case when limited then 1 else 0 end), 0) = 1 as limited
    from {{ ref('stg_looker__first_loads') }}
    where stream = 'content_usage'
),

deltas as (
    select
        sequenced.content_usage_id,
        sequenced.content_id,
        sequenced.content_type,
        {{ looker_date('sequenced.last_accessed_time') }} as usage_date,
        case
            when windows.window_start < sequenced.last_accessed_time then windows.window_start
            -- a late row: before the previous run's mark, after the item's own last access
            when sequenced.previous_accessed_time < sequenced.last_accessed_time
                then sequenced.previous_accessed_time
        end as window_start,
        sequenced.last_accessed_time as window_end,
        {%- for c in channels %}
        case
            when sequenced.{{ c }}_count is null then 0
            when sequenced.previous_{{ c }}_count is null then {{ c }}_count
            when {{ c }}_count >= previous_{{ c }}_count
                then {{ c }}_count - previous_{{ c }}_count
            else {{ c }}_count
        end as {{ c }}_accesses,
        {%- endfor %}
        case when (
            {%- for c in channels %}
            {{ c }}_count < previous_{{ c }}_count{{ ' or' if not loop.last }}
            {%- endfor %}
        ) then 1 else 0 end as reset_flag
    from sequenced
    inner join windows on windows.observed_at = sequenced.observed_at
    cross join first_load
    -- the baseline: what the first snapshot saw is all-time totals, not usage of a day; so
    -- is an item's first sighting after a first load that start_date limited
    where not (
        sequenced.version_number = 1
        and (sequenced.observed_at = windows.first_run_at or first_load.limited)
    )
),

daily as (
    select
        content_usage_id,
        usage_date,
        max(content_id) as content_id,
        max(content_type) as content_type,
        {%- for c in channels %}
        sum({{ c }}_accesses) as {{ c }}_accesses,
        {%- endfor %}
        -- unknown if any of the day's differences has an unknown start
        case when count(window_start) = count(*) then min(window_start) end as window_start,
        max(window_end) as window_end,
        max(reset_flag) = 1 as counter_reset
    from deltas
    group by content_usage_id, usage_date
)

select
    cast(daily.content_usage_id as {{ dbt.type_string() }}) || '|' || cast(daily.usage_date as {{ dbt.type_string() }}) as content_usage_day_key,
    daily.content_usage_id,
    daily.content_type,
    daily.content_id,
    {%- if with_content %}
    content.title,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as title,
    {%- endif %}
    daily.usage_date,
    {%- for c in channels %}
    daily.{{ c }}_accesses,
    {%- endfor %}
    {% for c in channels %}daily.{{ c }}_accesses{{ ' + ' if not loop.last }}{% endfor %} as total_accesses,
    daily.window_start,
    daily.window_end,
    -- an unknown start (a late row of an item not seen before) may span missed days too
    coalesce({{ dbt.datediff(looker_date('daily.window_start'), 'daily.usage_date', 'day') }} > 1, true) as spans_missed_run,
    daily.counter_reset
from daily
{%- if with_content %}
left join {{ ref('stg_looker__content') }} as content
    on content.content_type = daily.content_type and content.content_id = daily.content_id
{%- endif %}
where {% for c in channels %}daily.{{ c }}_accesses{{ ' + ' if not loop.last }}{% endfor %} > 0

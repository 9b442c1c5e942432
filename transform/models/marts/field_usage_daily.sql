{{ config(enabled=looker_stream_selected('field_usage')) }}
{#-
  Uses per LookML field and day, from the differences between successive snapshots of
  System Activity's lifetime counter (field_usage.times_used, which has no date).

  - Time: each version's read_at is Looker's clock at the tap run that first saw the value,
    so the uses happened after the previous version's read_at (window_start) and at or
    before read_at (window_end); usage_date is the day of window_end (UTC). With daily runs
    that is the day before or of the use; after a missed run the window spans the gap
    (spans_missed_run).
  - The first run is a baseline: its counters are lifetime totals, not a day's use, so no
    row. A field first seen by a later run (used for the first time since) counts in full.
  - A counter lower than before (Looker reset or rebuilt it) counts from zero (its new
    value) and is flagged; never a negative use. A counter Looker does not send (null) is
    unknown: the last known value stands. A field that disappears (the loader keeps its
    last row) makes no new version, so no use is reported for it.
-#}
with versions as (
    select
        field_usage_id,
        model,
        explore,
        field,
        times_used,
        coalesce(read_at, dbt_valid_from) as observed_at
    from {{ ref('field_usage_snapshot') }}
),

first_run as (
    select min(observed_at) as first_run_at from versions
),

known as (
    -- A null counter carries the last known one (portable: no IGNORE NULLS).
    select
        versions.*,
        count(times_used) over (
            partition by field_usage_id order by observed_at
            rows between unbounded preceding and current row
        ) as stretch
    from versions
),

carried as (
    select
        field_usage_id, model, explore, field, observed_at,
        max(times_used) over (partition by field_usage_id, stretch) as times_used
    from known
),

sequenced as (
    select
        carried.*,
        lag(times_used) over (partition by field_usage_id order by observed_at) as previous_times_used,
        lag(observed_at) over (partition by field_usage_id order by observed_at) as previous_observed_at,
        row_number() over (partition by field_usage_id order by observed_at) as version_number
    from carried
),

deltas as (
    select
        sequenced.field_usage_id,
        sequenced.model,
        sequenced.explore,
        sequenced.field,
        sequenced.observed_at,
        sequenced.previous_observed_at,
        sequenced.version_number = 1 and sequenced.observed_at = first_run.first_run_at as is_baseline,
        sequenced.previous_times_used is not null
            and sequenced.times_used < sequenced.previous_times_used as counter_reset,
        case
            when sequenced.times_used is null then 0
            when sequenced.previous_times_used is null then sequenced.times_used
            when sequenced.times_used < sequenced.previous_times_used then sequenced.times_used
            else sequenced.times_used - sequenced.previous_times_used
        end as uses
    from sequenced
    cross join first_run
),

daily as (
    select
        field_usage_id,
        model,
        explore,
        field,
        {{ looker_date('observed_at') }} as usage_date,
        min(previous_observed_at) as window_start,
        max(observed_at) as window_end,
        sum(uses) as uses,
        max(case when counter_reset then 1 else 0 end) = 1 as counter_reset
    from deltas
    where not is_baseline
    group by field_usage_id, model, explore, field, {{ looker_date('observed_at') }}
)

select
    {{ dbt.concat([dbt.safe_cast('field_usage_id', dbt.type_string()), "'|'", dbt.safe_cast('usage_date', dbt.type_string())]) }} as field_usage_day_key,
    daily.*,
    window_start is null
        or {{ dbt.datediff(looker_date('window_start'), 'usage_date', 'day') }} > 1 as spans_missed_run
from daily
where uses > 0

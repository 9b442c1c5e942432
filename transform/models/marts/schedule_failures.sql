{{ config(enabled=looker_stream_selected('scheduled_job')) }}
-- Which schedules fail: one row per failed delivery (status failure or error), with the
-- plan's most recent success before it and how many deliveries in a row have failed up to
-- it. Skipped deliveries neither fail nor succeed: they are left out.
with jobs as (
    select
        *,
        sum(case when status = 'success' then 1 else 0 end) over (
            partition by scheduled_plan_id order by finalized_at, scheduled_job_id
            rows between unbounded preceding and current row
        ) as successes_so_far
    from {{ ref('stg_looker__scheduled_jobs') }}
    where finalized_at is not null and status in ('success', 'failure', 'error')
),

streaks as (
    select
        *,
        row_number() over (
            partition by scheduled_plan_id, successes_so_far
            order by finalized_at, scheduled_job_id
        ) - case when successes_so_far > 0 then 1 else 0 end as failures_in_a_row,
        max(case when status = 'success' then finalized_at end) over (
            partition by scheduled_plan_id order by finalized_at, scheduled_job_id
            rows between unbounded preceding and current row
        ) as last_success_at
    from jobs
)

select
    scheduled_job_id,
    scheduled_plan_id,
    scheduled_plan_name,
    user_id,
    created_at,
    finalized_at,
    {{ looker_date('finalized_at') }} as failure_date,
    status,
    status_detail,
    last_success_at,
    failures_in_a_row
from streaks
where status != 'success'

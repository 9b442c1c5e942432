{{ config(enabled=looker_stream_selected('content_usage')) }}
{#- How each stream's first load began, from the tap's own audit: window_from is start_date
    when a start_date limited it (the first load then did not see everything Looker held),
    null when it read from the first row. No row for a stream the audit does not know of
    (sync_audit not selected). -#}
{%- if looker_stream_selected('sync_audit') %}
with ranked as (
    select
        stream,
        run_started_at,
        window_from,
        row_number() over (partition by stream order by run_started_at) as run_number
    from {{ ref('stg_looker__sync_audit') }}
)

select
    stream,
    run_started_at as first_run_started_at,
    window_from,
    window_from is not null as limited
from ranked
where run_number = 1
{%- else %}
select
    cast(null as {{ dbt.type_string() }}) as stream,
    cast(null as {{ dbt.type_timestamp() }}) as first_run_started_at,
    cast(null as {{ dbt.type_timestamp() }}) as window_from,
    cast(null as {{ dbt.type_boolean() }}) as limited
from (select 1 as one) as nothing
where false
{%- endif %}

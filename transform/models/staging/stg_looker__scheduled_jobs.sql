{{ config(enabled=looker_stream_selected('scheduled_job')) }}
{%- set src = source('looker', 'scheduled_job') %}
-- One row per finished schedule delivery.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'scheduled_job_id') }},
    {{ looker_column(src, ['scheduled_plan_id'], dbt.type_string(), 'scheduled_plan_id') }},
    {{ looker_column(src, ['scheduled_plan_name', 'scheduled_plan.name'], dbt.type_string(), 'scheduled_plan_name') }},
    {{ looker_column(src, ['user_id'], dbt.type_string(), 'user_id') }},
    {{ looker_column(src, ['created_time'], dbt.type_timestamp(), 'created_at') }},
    {{ looker_column(src, ['finalized_time'], dbt.type_timestamp(), 'finalized_at') }},
    lower({{ looker_expr(src, ['status'], dbt.type_string()) }}) as status,
    {{ looker_column(src, ['status_detail'], dbt.type_string(), 'status_detail') }}
from {{ src }}

{{ config(enabled=looker_stream_selected('history')) }}
{%- set src = source('looker', 'history') %}
-- One row per finished query run.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'history_id') }},
    {{ looker_column(src, ['user_id'], dbt.type_string(), 'user_id') }},
    {{ looker_column(src, ['query_id'], dbt.type_string(), 'query_id') }},
    {{ looker_column(src, ['created_time'], dbt.type_timestamp(), 'created_at') }},
    {{ looker_column(src, ['completed_time'], dbt.type_timestamp(), 'completed_at') }},
    {{ looker_column(src, ['source'], dbt.type_string(), 'source') }},
    {{ looker_column(src, ['status'], dbt.type_string(), 'status') }},
    {{ looker_column(src, ['result_source'], dbt.type_string(), 'result_source') }},
    coalesce({{ looker_bool_expr(src, ['cache']) }}, false) as is_cached,
    {{ looker_column(src, ['runtime'], dbt.type_float(), 'runtime_seconds') }},
    {{ looker_column(src, ['dashboard_id'], dbt.type_string(), 'dashboard_id') }},
    {{ looker_column(src, ['look_id'], dbt.type_string(), 'look_id') }}
from {{ src }}

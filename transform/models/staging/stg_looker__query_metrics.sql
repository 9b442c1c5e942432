{{ config(enabled=looker_stream_selected('query_metrics')) }}
{%- set src = source('looker', 'query_metrics') %}
-- One row per query task (Query Performance Metrics): seconds spent in each phase, NULL
-- where the phase did not happen (a cache hit has no connection or main query).
select
    {{ looker_column(src, ['id'], dbt.type_string(), 'query_metrics_id') }},
    {{ looker_column(src, ['query_task_id'], dbt.type_string(), 'query_task_id') }},
    {{ looker_column(src, ['created_time', 'created_at_time'], dbt.type_timestamp(), 'created_at') }},
    {{ looker_column(src, ['queued'], dbt.type_float(), 'queued_seconds') }},
    {{ looker_column(src, ['async_processing'], dbt.type_float(), 'async_processing_seconds') }},
    {{ looker_column(src, ['project_init'], dbt.type_float(), 'project_init_seconds') }},
    {{ looker_column(src, ['model_init_computed'], dbt.type_float(), 'model_init_computed_seconds') }},
    {{ looker_column(src, ['model_init_cache'], dbt.type_float(), 'model_init_cache_seconds') }},
    {{ looker_column(src, ['explore_init'], dbt.type_float(), 'explore_init_seconds') }},
    {{ looker_column(src, ['marshalled_cache_load'], dbt.type_float(), 'marshalled_cache_load_seconds') }},
    {{ looker_column(src, ['prepare'], dbt.type_float(), 'prepare_seconds') }},
    {{ looker_column(src, ['per_user_throttler'], dbt.type_float(), 'per_user_throttler_seconds') }},
    {{ looker_column(src, ['acquire_connection'], dbt.type_float(), 'acquire_connection_seconds') }},
    {{ looker_column(src, ['connection_held'], dbt.type_float(), 'connection_held_seconds') }},
    {{ looker_column(src, ['execute_main_query'], dbt.type_float(), 'execute_main_query_seconds') }},
    {{ looker_column(src, ['cache_load'], dbt.type_float(), 'cache_load_seconds') }},
    {{ looker_column(src, ['load_main_query_in_memory'], dbt.type_float(), 'load_main_query_in_memory_seconds') }},
    {{ looker_column(src, ['load_process_and_stream_main_query'], dbt.type_float(), 'load_process_and_stream_main_query_seconds') }},
    {{ looker_column(src, ['pdt'], dbt.type_float(), 'pdt_seconds') }},
    {{ looker_column(src, ['execute_totals_query'], dbt.type_float(), 'execute_totals_query_seconds') }},
    {{ looker_column(src, ['execute_row_totals_query'], dbt.type_float(), 'execute_row_totals_query_seconds') }},
    {{ looker_column(src, ['execute_grand_totals_query'], dbt.type_float(), 'execute_grand_totals_query_seconds') }},
    {{ looker_column(src, ['post_processing'], dbt.type_float(), 'post_processing_seconds') }},
    {{ looker_column(src, ['stream_to_cache'], dbt.type_float(), 'stream_to_cache_seconds') }}
from {{ src }}

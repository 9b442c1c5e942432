{{ config(enabled=looker_stream_selected('query')) }}
{%- set src = source('looker', 'query') %}
-- One row per query definition. The explore is Looker's `query.view` ("Explore").
select
    {{ looker_column(src, ['id'], dbt.type_string(), 'query_id') }},
    {{ looker_column(src, ['model'], dbt.type_string(), 'model') }},
    {{ looker_column(src, ['view'], dbt.type_string(), 'explore') }},
    {{ looker_column(src, ['created_time'], dbt.type_timestamp(), 'created_at') }}
from {{ src }}

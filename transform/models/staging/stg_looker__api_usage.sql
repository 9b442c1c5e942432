{{ config(enabled=looker_stream_selected('api_usage')) }}
{%- set src = source('looker', 'api_usage') %}
-- One row per endpoint and day: Looker's count of API calls (System Activity API Usage;
-- dates only). `api_query_type`, where Looker has it, is its own query/admin split.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'api_usage_id') }},
    {{ looker_column(src, ['endpoint'], dbt.type_string(), 'endpoint') }},
    {{ looker_column(src, ['created_date'], 'date', 'usage_date') }},
    {{ looker_column(src, ['total_usage', 'count', 'usage_count'], dbt.type_bigint(), 'calls') }},
    {{ looker_column(src, ['api_query_type'], dbt.type_string(), 'api_query_type') }}
from {{ src }}

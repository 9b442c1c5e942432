{{ config(enabled=looker_stream_selected('content_usage')) }}
{%- set src = source('looker', 'content_usage') %}
-- One row per content item: the loader's current (overwritten) cumulative counters, typed.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'content_usage_id') }},
    {{ looker_column(src, ['content_id'], dbt.type_string(), 'content_id') }},
    {{ looker_column(src, ['content_type'], dbt.type_string(), 'content_type') }},
{%- for channel in ['api', 'embed', 'public', 'schedule', 'other'] %}
    coalesce({{ looker_expr(src, [channel ~ '_count'], dbt.type_bigint()) }}, 0) as {{ channel }}_count,
{%- endfor %}
    {{ looker_column(src, ['last_accessed_time'], dbt.type_timestamp(), 'last_accessed_time') }}
from {{ src }}

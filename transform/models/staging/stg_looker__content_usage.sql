{{ config(enabled=looker_stream_selected('content_usage')) }}
{%- set src = source('looker', 'content_usage') %}
-- One row per content item: the loader's current (overwritten) cumulative counters, typed.
-- A null counter stays null (not sent: Looker stopped sending it, or no such column yet), so
-- that content_usage_daily can tell "unknown" from zero.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'content_usage_id') }},
    {{ looker_column(src, ['content_id'], dbt.type_string(), 'content_id') }},
    {{ looker_column(src, ['content_type'], dbt.type_string(), 'content_type') }},
{%- for channel in ['api', 'embed', 'public', 'schedule', 'other'] %}
    {{ looker_column(src, [channel ~ '_count'], dbt.type_bigint(), channel ~ '_count') }},
{%- endfor %}
    {{ looker_column(src, ['last_accessed_time'], dbt.type_timestamp(), 'last_accessed_time') }}
from {{ src }}

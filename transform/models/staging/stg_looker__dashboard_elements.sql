{{ config(enabled=looker_stream_selected('dashboard_element')) }}
{%- set src = source('looker', 'dashboard_element') %}
-- One row per dashboard tile ever read; look_id is set for a tile showing a saved Look.
with elements as (
    select
        {{ looker_column(src, ['id'], dbt.type_string(), 'dashboard_element_id') }},
        {{ looker_column(src, ['dashboard_id'], dbt.type_string(), 'dashboard_id') }},
        {{ looker_column(src, ['look_id'], dbt.type_string(), 'look_id') }},
        {{ looker_column(src, ['query_id'], dbt.type_string(), 'query_id') }},
        {{ looker_column(src, ['type'], dbt.type_string(), 'element_type') }},
        {{ looker_column(src, ['title'], dbt.type_string(), 'title') }},
        {{ looker_column(src, ['created_time'], dbt.type_timestamp(), 'created_at') }},
        {{ looker_column(src, ['deleted_time'], dbt.type_timestamp(), 'deleted_at') }},
        {{ looker_column(src, ['read_at'], dbt.type_timestamp(), 'read_at') }}
    from {{ src }}
)

select
    elements.*,
    deleted_at is not null as is_deleted,
    coalesce({{ looker_read_is_current('dashboard_element') }}, false) as is_current
from elements

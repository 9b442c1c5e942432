{{ config(enabled=looker_stream_selected('dashboard')) }}
{%- set src = source('looker', 'dashboard') %}
-- One row per user-defined dashboard, deleted ones included (flagged).
select
    {{ looker_column(src, ['id'], dbt.type_string(), 'dashboard_id') }},
    {{ looker_column(src, ['title'], dbt.type_string(), 'title') }},
    {{ looker_column(src, ['description'], dbt.type_string(), 'description') }},
    {{ looker_column(src, ['user_id'], dbt.type_string(), 'owner_user_id') }},
    {{ looker_column(src, ['folder_id', 'space_id'], dbt.type_string(), 'folder_id') }},
    {{ looker_column(src, ['created_at', 'created_time'], dbt.type_timestamp(), 'created_at') }},
    {{ looker_column(src, ['updated_at', 'updated_time'], dbt.type_timestamp(), 'updated_at') }},
    coalesce({{ looker_bool_expr(src, ['deleted']) }}, false) as is_deleted,
    {{ looker_column(src, ['deleted_at', 'deleted_time'], dbt.type_timestamp(), 'deleted_at') }},
    coalesce({{ looker_bool_expr(src, ['hidden']) }}, false) as is_hidden
from {{ src }}

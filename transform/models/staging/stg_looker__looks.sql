{{ config(enabled=looker_stream_selected('look')) }}
{%- set src = source('looker', 'look') %}
-- One row per saved Look, deleted ones included (deleted_time set, or the deleted flag).
select
    {{ looker_column(src, ['id'], dbt.type_string(), 'look_id') }},
    {{ looker_column(src, ['title'], dbt.type_string(), 'title') }},
    {{ looker_column(src, ['description'], dbt.type_string(), 'description') }},
    {{ looker_column(src, ['user_id'], dbt.type_string(), 'owner_user_id') }},
    {{ looker_column(src, ['space_id', 'folder_id'], dbt.type_string(), 'folder_id') }},
    {{ looker_column(src, ['created_time', 'created_at'], dbt.type_timestamp(), 'created_at') }},
    {{ looker_column(src, ['updated_time', 'updated_at'], dbt.type_timestamp(), 'updated_at') }},
    (
        coalesce({{ looker_bool_expr(src, ['deleted']) }}, false)
        or {{ looker_expr(src, ['deleted_time', 'deleted_at'], dbt.type_timestamp()) }} is not null
    ) as is_deleted,
    {{ looker_column(src, ['deleted_time', 'deleted_at'], dbt.type_timestamp(), 'deleted_at') }},
    coalesce({{ looker_bool_expr(src, ['public']) }}, false) as is_public
from {{ src }}

{{ config(enabled=looker_stream_selected('dashboard') or looker_stream_selected('look')) }}
-- Dashboards and Looks as one list, keyed like content_usage (content_type, content_id).
{%- set parts = [] %}
{%- if looker_stream_selected('dashboard') %}{% do parts.append(('dashboard', 'dashboard_id', ref('stg_looker__dashboards'))) %}{% endif %}
{%- if looker_stream_selected('look') %}{% do parts.append(('look', 'look_id', ref('stg_looker__looks'))) %}{% endif %}
{%- for content_type, id_column, relation in parts %}
select
    '{{ content_type }}' as content_type,
    {{ id_column }} as content_id,
    '{{ content_type }}:' || {{ id_column }} as content_key,
    title,
    description,
    owner_user_id,
    folder_id,
    created_at,
    is_deleted,
    deleted_at
from {{ relation }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}

{{ config(enabled=looker_stream_selected('content_favorite')) }}
{%- set src = source('looker', 'content_favorite') %}
-- One row per content item ever read as favourited; is_current: favourited at the latest read.
with favorites as (
    select
        {{ looker_column(src, ['id'], dbt.type_string(), 'content_usage_id') }},
        {{ looker_column(src, ['content_type'], dbt.type_string(), 'content_type') }},
        {{ looker_column(src, ['content_id'], dbt.type_string(), 'content_id') }},
        {{ looker_column(src, ['favorite_count'], dbt.type_bigint(), 'favorite_count') }},
        {{ looker_column(src, ['read_at'], dbt.type_timestamp(), 'read_at') }}
    from {{ src }}
)

select
    content_type || ':' || content_id as content_key,
    favorites.*,
    coalesce({{ looker_read_is_current('content_favorite') }}, false) as is_current
from favorites

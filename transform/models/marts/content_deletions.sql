{{ config(enabled=looker_stream_selected('dashboard') or looker_stream_selected('look')) }}
{%- set parts = [] %}
{%- if looker_stream_selected('dashboard') %}{% do parts.append(('dashboard', 'dashboard_id', ref('dashboard_snapshot'))) %}{% endif %}
{%- if looker_stream_selected('look') %}{% do parts.append(('look', 'look_id', ref('look_snapshot'))) %}{% endif %}
{#-
  The record of what was deleted, from the snapshots of the dashboard and look streams: one
  row per deletion (an item's version that is deleted where its previous version was not, or
  its first version, for content deleted before the export began). Looker's trash keeps a
  deleted item for a while and it can be restored: restored_at says when a later read found
  it back. deleted_at is Looker's own time of the deletion; detected_at the snapshot that
  first saw it.
-#}
with versions as (
    {%- for content_type, id_column, relation in parts %}
    select
        '{{ content_type }}' as content_type,
        {{ id_column }} as content_id,
        title,
        owner_user_id,
        folder_id,
        is_deleted,
        deleted_at,
        dbt_valid_from
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ordered as (
    select
        versions.*,
        lag(is_deleted) over (
            partition by content_type, content_id order by dbt_valid_from
        ) as was_deleted,
        row_number() over (
            partition by content_type, content_id order by dbt_valid_from
        ) as version_number
    from versions
),

deletions as (
    select * from ordered
    where is_deleted and not coalesce(was_deleted, false)
),

restores as (
    select content_type, content_id, dbt_valid_from as restored_at
    from ordered
    where not is_deleted and was_deleted
),

first_restores as (
    select deletions.content_type, deletions.content_id, deletions.dbt_valid_from,
        min(restores.restored_at) as restored_at
    from deletions
    inner join restores
        on restores.content_type = deletions.content_type
        and restores.content_id = deletions.content_id
        and restores.restored_at > deletions.dbt_valid_from
    group by deletions.content_type, deletions.content_id, deletions.dbt_valid_from
)

{%- set with_usage = looker_stream_selected('content_usage') %}
{%- if with_usage %}
, usage as (
    select content_type, content_id, max(last_accessed_time) as last_accessed_at
    from {{ ref('stg_looker__content_usage') }}
    where content_type in ('dashboard', 'look')
    group by content_type, content_id
)
{%- endif %}

select
    deletions.content_type || ':' || deletions.content_id || '|'
        || cast(deletions.dbt_valid_from as {{ dbt.type_string() }}) as deletion_key,
    deletions.content_type || ':' || deletions.content_id as content_key,
    deletions.content_type,
    deletions.content_id,
    deletions.title,
    deletions.owner_user_id,
    deletions.folder_id,
    deletions.deleted_at,
    deletions.dbt_valid_from as detected_at,
    deletions.version_number = 1 as first_seen_deleted,
    first_restores.restored_at,
    {%- if with_usage %}
    usage.last_accessed_at
    {%- else %}
    cast(null as {{ dbt.type_timestamp() }}) as last_accessed_at
    {%- endif %}
from deletions
left join first_restores
    on first_restores.content_type = deletions.content_type
    and first_restores.content_id = deletions.content_id
    and first_restores.dbt_valid_from = deletions.dbt_valid_from
{%- if with_usage %}
left join usage
    on usage.content_type = deletions.content_type and usage.content_id = deletions.content_id
{%- endif %}

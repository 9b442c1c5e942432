{{ config(enabled=looker_stream_selected('content_usage')) }}
{%- set with_dashboards = looker_stream_selected('dashboard') %}
{%- set with_looks = looker_stream_selected('look') %}
{%- set with_content = with_dashboards or with_looks %}
{%- set with_users = looker_stream_selected('user') %}
{%- set stale_after_days = var('stale_after_days', env_var('DBT_LOOKER_STALE_AFTER_DAYS', '90')) | int %}
{#-
  Dashboards and Looks nobody opened for `stale_after_days` days (var, default 90), as of
  the latest access the warehouse knows of (var `stale_as_of` to pin it). Content never
  accessed counts from its creation. Deleted content is excluded: it is not stale, it is
  gone. With the dashboard/look streams selected, content missing from Looker's list
  (deleted for good) is excluded too, except LookML dashboards ("model::name"), which that
  list never holds.
-#}
with usage as (
    select
        content_type,
        content_id,
        max(last_accessed_time) as last_accessed_at,
        sum(
            coalesce(api_count, 0) + coalesce(embed_count, 0) + coalesce(public_count, 0)
            + coalesce(schedule_count, 0) + coalesce(other_count, 0)
        ) as total_accesses
    from {{ ref('stg_looker__content_usage') }}
    where content_type in ('dashboard', 'look')
    group by content_type, content_id
),

as_of as (
    {%- if var('stale_as_of', none) %}
    select cast('{{ var("stale_as_of") }}' as {{ dbt.type_timestamp() }}) as as_of
    {%- else %}
    select max(last_accessed_time) as as_of from {{ ref('stg_looker__content_usage') }}
    {%- endif %}
),

candidates as (
    select
        coalesce(usage.content_type, content.content_type) as content_type,
        coalesce(usage.content_id, content.content_id) as content_id,
        content.title,
        content.owner_user_id,
        content.folder_id,
        content.created_at,
        content.is_deleted,
        content.content_key is not null as in_content_list,
        usage.last_accessed_at,
        coalesce(usage.total_accesses, 0) as total_accesses
    from usage
    {%- if with_content %}
    full outer join {{ ref('stg_looker__content') }} as content
        on content.content_type = usage.content_type and content.content_id = usage.content_id
    {%- else %}
    left join (
        select
            cast(null as {{ dbt.type_string() }}) as content_type,
            cast(null as {{ dbt.type_string() }}) as content_id,
            cast(null as {{ dbt.type_string() }}) as content_key,
            cast(null as {{ dbt.type_string() }}) as title,
            cast(null as {{ dbt.type_string() }}) as owner_user_id,
            cast(null as {{ dbt.type_string() }}) as folder_id,
            cast(null as {{ dbt.type_timestamp() }}) as created_at,
            cast(null as {{ dbt.type_boolean() }}) as is_deleted
    ) as content on 1 = 0
    {%- endif %}
),

live as (
    select * from candidates
    where coalesce(is_deleted, false) = false
    {%- if with_content %}
      and (
        in_content_list
        {%- if not with_dashboards %} or content_type = 'dashboard'{% endif %}
        {%- if not with_looks %} or content_type = 'look'{% endif %}
        or content_id like '%::%'
      )
    {%- endif %}
)

select
    live.content_type || ':' || live.content_id as content_key,
    live.content_type,
    live.content_id,
    live.title,
    live.owner_user_id,
    {%- if with_users %}
    users.name as owner_name,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as owner_name,
    {%- endif %}
    live.folder_id,
    live.created_at,
    live.last_accessed_at,
    live.last_accessed_at is null as never_accessed,
    live.total_accesses,
    {{ dbt.datediff(looker_date('coalesce(live.last_accessed_at, live.created_at)'), looker_date('as_of.as_of'), 'day') }} as days_idle,
    as_of.as_of,
    {{ stale_after_days }} as stale_after_days
from live
cross join as_of
{%- if with_users %}
left join {{ ref('stg_looker__users') }} as users on users.user_id = live.owner_user_id
{%- endif %}
where coalesce(live.last_accessed_at, live.created_at) is null
   or {{ dbt.datediff(looker_date('coalesce(live.last_accessed_at, live.created_at)'), looker_date('as_of.as_of'), 'day') }} >= {{ stale_after_days }}

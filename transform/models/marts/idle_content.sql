{{ config(enabled=looker_stream_selected('content_usage')) }}
{%- set with_dashboards = looker_stream_selected('dashboard') %}
{%- set with_looks = looker_stream_selected('look') %}
{%- set with_content = with_dashboards or with_looks %}
{%- set with_users = looker_stream_selected('user') %}
{%- set with_favorites = looker_stream_selected('content_favorite') %}
{%- set with_plans = looker_stream_selected('scheduled_plan') %}
{%- set with_elements = looker_stream_selected('dashboard_element') %}
{%- set with_catalog = looker_stream_selected('lookml_field') %}
{%- set stale_after_days = var('stale_after_days', env_var('DBT_LOOKER_STALE_AFTER_DAYS', '90')) | int %}
{#-
  Dashboards and Looks nobody opened for `stale_after_days` days (var, default 90), as of
  the latest access the warehouse knows of (var `stale_as_of` to pin it), and why Looker's
  own Unused Content page would keep each (keep_reason; stale_content is the rest). Content
  never accessed counts from its creation. Deleted content is excluded: it is not stale, it
  is gone. With the dashboard/look streams selected, content missing from Looker's list
  (deleted for good) is excluded too, except LookML dashboards ("model::name"), which that
  list never holds: those are kept while their model is in the LookML catalog (lookml_field)
  and never listed for Looker's own System Activity model.

  Looker keeps (Looker's admin docs, "Managing unused content"), and so does keep_reason, in
  this order: public Looks (look.public), scheduled content (an enabled, recurring schedule
  of the latest scheduled_plan read; a one-off "Send" is not a schedule), favourites (the
  latest content_favorite read), Looks on a dashboard that is not deleted (dashboard_element),
  and, ours, the do-not-delete list (seed looker_do_not_delete). A rule whose stream is not
  selected cannot keep anything: its flag is NULL, not false.
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
),


{%- if with_plans %}
scheduled as (
    select distinct content_key from {{ ref('stg_looker__scheduled_plans') }}
    where is_current and coalesce(is_enabled, false) and not is_run_once and content_key is not null
),
{%- endif %}

{%- if with_favorites %}
favorites as (
    select distinct content_key from {{ ref('stg_looker__content_favorites') }}
    where is_current and favorite_count > 0
),
{%- endif %}

{%- if with_elements %}
on_dashboards as (
    select elements.look_id, count(distinct elements.dashboard_id) as dashboards
    from {{ ref('stg_looker__dashboard_elements') }} as elements
    {%- if with_dashboards %}
    left join {{ ref('stg_looker__dashboards') }} as dashboards
        on dashboards.dashboard_id = elements.dashboard_id
    {%- endif %}
    where elements.is_current and not elements.is_deleted and elements.look_id is not null
    {%- if with_dashboards %}
      and not coalesce(dashboards.is_deleted, false)
    {%- endif %}
    group by elements.look_id
),
{%- endif %}

{%- if with_catalog %}
catalog_models as (
    select distinct model from {{ ref('stg_looker__lookml_fields') }} where is_current
),
{%- endif %}

do_not_delete as (
    select content_type || ':' || content_id as content_key, max(reason) as reason
    from {{ ref('looker_do_not_delete') }}
    group by content_type, content_id
),

flagged as (
    select
        live.*,
        {%- if with_looks %}
        case when live.content_type = 'look' then coalesce(looks.is_public, false) else false end as is_public,
        {%- else %}
        case when live.content_type = 'look' then cast(null as {{ dbt.type_boolean() }}) else false end as is_public,
        {%- endif %}
        {%- if with_plans %}
        scheduled.content_key is not null as is_scheduled,
        {%- else %}
        cast(null as {{ dbt.type_boolean() }}) as is_scheduled,
        {%- endif %}
        {%- if with_favorites %}
        favorites.content_key is not null as is_favorite,
        {%- else %}
        cast(null as {{ dbt.type_boolean() }}) as is_favorite,
        {%- endif %}
        {%- if with_elements %}
        case when live.content_type = 'look' then coalesce(on_dashboards.dashboards, 0) else 0 end as on_dashboards,
        {%- else %}
        cast(null as {{ dbt.type_bigint() }}) as on_dashboards,
        {%- endif %}
        do_not_delete.reason as do_not_delete_reason,
        do_not_delete.content_key is not null as is_on_do_not_delete_list
    from live
    {%- if with_looks %}
    left join {{ ref('stg_looker__looks') }} as looks
        on live.content_type = 'look' and looks.look_id = live.content_id
    {%- endif %}
    {%- if with_plans %}
    left join scheduled on scheduled.content_key = live.content_type || ':' || live.content_id
    {%- endif %}
    {%- if with_favorites %}
    left join favorites on favorites.content_key = live.content_type || ':' || live.content_id
    {%- endif %}
    {%- if with_elements %}
    left join on_dashboards on live.content_type = 'look' and on_dashboards.look_id = live.content_id
    {%- endif %}
    left join do_not_delete on do_not_delete.content_key = live.content_type || ':' || live.content_id
    -- Looker's own System Activity dashboards are not the admin's to delete.
    where (
        live.content_id not like '%::%'
        or {{ dbt.split_part('live.content_id', "'::'", 1) }} != 'system__activity'
    )
    {%- if with_catalog %}
      and (
        live.content_id not like '%::%'
        or {{ dbt.split_part('live.content_id', "'::'", 1) }} in (select model from catalog_models)
      )
    {%- endif %}
)

select
    flagged.content_type || ':' || flagged.content_id as content_key,
    flagged.content_type,
    flagged.content_id,
    flagged.title,
    flagged.owner_user_id,
    {%- if with_users %}
    users.name as owner_name,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as owner_name,
    {%- endif %}
    flagged.folder_id,
    flagged.created_at,
    flagged.last_accessed_at,
    flagged.last_accessed_at is null as never_accessed,
    flagged.total_accesses,
    {{ dbt.datediff(looker_date('coalesce(flagged.last_accessed_at, flagged.created_at)'), looker_date('as_of.as_of'), 'day') }} as days_idle,
    flagged.is_public,
    flagged.is_scheduled,
    flagged.is_favorite,
    flagged.on_dashboards,
    flagged.do_not_delete_reason,
    case
        when flagged.is_public then 'public'
        when flagged.is_scheduled then 'scheduled'
        when flagged.is_favorite then 'favorite'
        when flagged.on_dashboards > 0 then 'on a dashboard'
        when flagged.is_on_do_not_delete_list then 'do not delete'
    end as keep_reason,
    as_of.as_of,
    {{ stale_after_days }} as stale_after_days
from flagged
cross join as_of
{%- if with_users %}
left join {{ ref('stg_looker__users') }} as users on users.user_id = flagged.owner_user_id
{%- endif %}
where coalesce(flagged.last_accessed_at, flagged.created_at) is null
   or {{ dbt.datediff(looker_date('coalesce(flagged.last_accessed_at, flagged.created_at)'), looker_date('as_of.as_of'), 'day') }} >= {{ stale_after_days }}

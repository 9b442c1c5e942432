{{ config(enabled=looker_stream_selected('lookml_field') and looker_stream_selected('field_usage')) }}
{%- set unused_after_days = var('unused_after_days', env_var('DBT_LOOKER_UNUSED_AFTER_DAYS', '90')) | int %}
{#-
  Fields of the current LookML catalog (lookml_field) that no query used for
  `unused_after_days` days (var, default 90), as of the latest catalog read. Grain: one row
  per model, explore and field of the catalog; `is_unused` says which are unused, `reason`
  why:
  - `never used`: Looker's lifetime counter has no use of it (no field_usage row, or 0);
  - `no use for N days`: used once, but field_usage_daily has no use for N days and the
    export has watched that long (observed_since at least N days before as_of); a field
    whose last use predates the export counts as unused only once the export has watched N
    days, never earlier (the lifetime counter cannot say when it was last used).
  Filters: System Activity counts every field a query names, filters included; which fields
  are used only in filters is not in field_usage, so it is not claimed here.
-#}
with catalog as (
    select * from {{ ref('stg_looker__lookml_fields') }}
    where is_current and category in ('dimension', 'measure', 'filter', 'parameter')
),

as_of as (
    select {{ looker_date('max(read_at)') }} as as_of from catalog
),

lifetime as (
    select model, explore, field, max(times_used) as times_used
    from {{ ref('stg_looker__field_usage') }}
    group by model, explore, field
),

watched as (
    select {{ looker_date('min(coalesce(read_at, dbt_valid_from))') }} as observed_since
    from {{ ref('field_usage_snapshot') }}
),

last_use as (
    select model, explore, field, max(usage_date) as last_used_date
    from {{ ref('field_usage_daily') }}
    group by model, explore, field
),

judged as (
    select
        catalog.model,
        catalog.explore,
        catalog.view_name,
        catalog.field,
        catalog.category,
        catalog.field_type,
        catalog.is_hidden,
        catalog.tags,
        greatest(coalesce(lifetime.times_used, 0), coalesce(catalog.times_used, 0)) as times_used,
        last_use.last_used_date,
        watched.observed_since,
        as_of.as_of,
        case
            -- Either of Looker's counters (field_usage, or the metadata's own times_used)
            -- showing a use is a use: never call a used field unused.
            when greatest(coalesce(lifetime.times_used, 0), coalesce(catalog.times_used, 0)) = 0
                then 'never used'
            when last_use.last_used_date is not null
                and {{ dbt.datediff('last_use.last_used_date', 'as_of.as_of', 'day') }} >= {{ unused_after_days }}
                then 'no use for {{ unused_after_days }} days'
            when last_use.last_used_date is null
                and {{ dbt.datediff('watched.observed_since', 'as_of.as_of', 'day') }} >= {{ unused_after_days }}
                then 'no use for {{ unused_after_days }} days'
        end as reason
    from catalog
    cross join as_of
    cross join watched
    left join lifetime
        on lifetime.model = catalog.model
        and lifetime.explore = catalog.explore
        and lifetime.field = catalog.field
    left join last_use
        on last_use.model = catalog.model
        and last_use.explore = catalog.explore
        and last_use.field = catalog.field
)

select
    {{ dbt.concat(['model', "'|'", 'explore', "'|'", 'field']) }} as lookml_field_key,
    judged.*,
    reason is not null as is_unused,
    {{ unused_after_days }} as unused_after_days
from judged

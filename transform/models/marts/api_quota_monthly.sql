{{ config(enabled=looker_stream_selected('api_usage')) }}
{%- set edition = var('looker_edition', env_var('DBT_LOOKER_EDITION', 'standard')) | lower %}
{#- Monthly API call allowances per edition (Looker (Google Cloud core) editions page and
    licensing terms): query-based calls, administrative calls. -#}
{%- set quotas = {
    'standard': (1000, 1000),
    'enterprise': (100000, 10000),
    'embed': (500000, 100000),
} %}
{%- if edition not in quotas %}
  {{ exceptions.raise_compiler_error("looker_edition must be one of " ~ (quotas.keys() | list | join(', ')) ~ ", not '" ~ edition ~ "'") }}
{%- endif %}
{#-
  API calls per month and quota class against the edition's monthly allowance (var
  `looker_edition`: standard, enterprise or embed). Grain: one row per month and quota_class
  (query, admin, not_counted, unknown).
  - The class of a call: Looker's own `api_query_type` where System Activity has it, else the
    endpoint's `x-looker-activity-type` in Looker's API 4.0 spec (seed
    looker_api_activity_types: db_query -> query, non_query -> admin, none -> not_counted).
    Looker's docs do not state that mapping in words: it is the best public evidence, and an
    endpoint neither source knows is `unknown`, shown rather than dropped.
  - pipeline_calls: the calls this pipeline's tap made in the month by its own audit
    (sync_audit), query calls for explore streams, admin calls for REST streams and
    metadata; null without the audit.
-#}
with usage as (
    select
        usage.usage_date,
        usage.calls,
        case
            when lower(usage.api_query_type) in ('db_query', 'query') then 'query'
            when lower(usage.api_query_type) in ('non_query', 'admin', 'administrative') then 'admin'
            when types.quota_class is not null then types.quota_class
            else 'unknown'
        end as quota_class
    from {{ ref('stg_looker__api_usage') }} as usage
    left join {{ ref('looker_api_activity_types') }} as types
        on types.endpoint = usage.endpoint
        or lower(types.http_method) || ' ' || types.path = lower(usage.endpoint)
        or types.http_method || ' ' || types.path = usage.endpoint
),

monthly as (
    select
        {{ dbt.date_trunc('month', 'usage_date') }} as usage_month,
        quota_class,
        sum(calls) as calls
    from usage
    group by {{ dbt.date_trunc('month', 'usage_date') }}, quota_class
),

{%- if looker_stream_selected('sync_audit') %}
pipeline as (
    select
        {{ dbt.date_trunc('month', looker_date('run_started_at')) }} as usage_month,
        sum(query_calls) as query_calls,
        sum(admin_calls) as admin_calls
    from {{ ref('stg_looker__sync_audit') }}
    group by {{ dbt.date_trunc('month', looker_date('run_started_at')) }}
),
{%- else %}
pipeline as (
    select
        cast(null as date) as usage_month,
        cast(null as {{ dbt.type_bigint() }}) as query_calls,
        cast(null as {{ dbt.type_bigint() }}) as admin_calls
    from (select 1 as one) as nothing
    where false
),
{%- endif %}

quota as (
    select 'query' as quota_class, {{ quotas[edition][0] }} as monthly_quota
    union all
    select 'admin' as quota_class, {{ quotas[edition][1] }} as monthly_quota
)

select
    {{ dbt.concat([dbt.safe_cast(looker_date('monthly.usage_month'), dbt.type_string()), "'|'", 'monthly.quota_class']) }} as quota_month_key,
    cast(monthly.usage_month as date) as usage_month,
    monthly.quota_class,
    monthly.calls,
    quota.monthly_quota,
    case when quota.monthly_quota is not null then quota.monthly_quota - monthly.calls end as calls_left,
    case
        when quota.monthly_quota is not null
            then round(100.0 * monthly.calls / quota.monthly_quota, 1)
    end as quota_used_percent,
    case monthly.quota_class
        when 'query' then pipeline.query_calls
        when 'admin' then pipeline.admin_calls
    end as pipeline_calls,
    '{{ edition }}' as edition
from monthly
left join quota on quota.quota_class = monthly.quota_class
left join pipeline on cast(pipeline.usage_month as date) = cast(monthly.usage_month as date)

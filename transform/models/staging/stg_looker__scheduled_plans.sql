{{ config(enabled=looker_stream_selected('scheduled_plan')) }}
{%- set src = source('looker', 'scheduled_plan') %}
-- One row per schedule ever read, with the content it delivers keyed like content_usage
-- (a LookML dashboard is content_type 'dashboard' with its "model::name" id).
with plans as (
    select
        {{ looker_column(src, ['id'], dbt.type_string(), 'scheduled_plan_id') }},
        {{ looker_column(src, ['name'], dbt.type_string(), 'name') }},
        {{ looker_column(src, ['dashboard_id'], dbt.type_string(), 'dashboard_id') }},
        {{ looker_column(src, ['look_id'], dbt.type_string(), 'look_id') }},
        {{ looker_column(src, ['lookml_dashboard_id'], dbt.type_string(), 'lookml_dashboard_id') }},
        {{ looker_bool_expr(src, ['enabled']) }} as is_enabled,
        coalesce({{ looker_bool_expr(src, ['run_once']) }}, false) as is_run_once,
        {{ looker_column(src, ['user_id'], dbt.type_string(), 'owner_user_id') }},
        {{ looker_column(src, ['created_time'], dbt.type_timestamp(), 'created_at') }},
        {{ looker_column(src, ['read_at'], dbt.type_timestamp(), 'read_at') }}
    from {{ src }}
)

select
    plans.*,
    case
        when look_id is not null then 'look'
        when dashboard_id is not null or lookml_dashboard_id is not null then 'dashboard'
    end as content_type,
    coalesce(look_id, dashboard_id, lookml_dashboard_id) as content_id,
    case
        when look_id is not null then 'look:' || look_id
        when dashboard_id is not null then 'dashboard:' || dashboard_id
        when lookml_dashboard_id is not null then 'dashboard:' || lookml_dashboard_id
    end as content_key,
    coalesce({{ looker_read_is_current('scheduled_plan') }}, false) as is_current
from plans

{{ config(enabled=looker_stream_selected('user')) }}
{%- set src = source('looker', 'user') %}
-- One row per Looker user, with the dates of their last UI and API logins. Names and email
-- are hashed upstream when the tap's hash_pii switch is on (see the README): this model
-- passes through whatever was loaded.
select
    {{ looker_column(src, ['id'], dbt.type_string(), 'user_id') }},
    {{ looker_column(src, ['name'], dbt.type_string(), 'name') }},
    {{ looker_column(src, ['email'], dbt.type_string(), 'email') }},
    {{ looker_column(src, ['created_time', 'created_at'], dbt.type_timestamp(), 'created_at') }},
    coalesce({{ looker_bool_expr(src, ['is_disabled']) }}, false) as is_disabled,
    {{ looker_column(src, ['home_space_id', 'home_folder_id'], dbt.type_string(), 'home_folder_id') }},
    -- user_facts (joined in System Activity's user explore); null where Looker has none.
    {{ looker_column(src, ['user_facts_last_ui_login_date'], 'date', 'last_ui_login_date') }},
    {{ looker_column(src, ['user_facts_last_api_login_date'], 'date', 'last_api_login_date') }}
from {{ src }}

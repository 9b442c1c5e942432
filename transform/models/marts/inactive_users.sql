{{ config(enabled=looker_stream_selected('user')) }}
{%- set inactive_after_days = var('inactive_after_days', env_var('DBT_LOOKER_INACTIVE_AFTER_DAYS', '90')) | int %}
{#-
  Enabled users (licences) with no UI or API login for `inactive_after_days` days (var,
  default 90) as of the day the tap last read the user stream. A user who never logged in
  counts from the day the account was created. Grain: one row per idle enabled user.
  Logins come from System Activity's user_facts; where the warehouse has no login dates at
  all (an older load), no user is called idle rather than every user.
-#}
with users as (
    select
        users.*,
        case
            when last_ui_login_date is null then last_api_login_date
            when last_api_login_date is null then last_ui_login_date
            when last_ui_login_date > last_api_login_date then last_ui_login_date
            else last_api_login_date
        end as last_login_date
    from {{ ref('stg_looker__users') }} as users
    where not is_disabled
),

as_of as (
    select {{ looker_as_of_date('user') }} as as_of
),

has_logins as (
    select count(last_ui_login_date) + count(last_api_login_date) > 0 as known
    from {{ ref('stg_looker__users') }}
)

select
    users.user_id,
    users.name,
    users.email,
    users.created_at,
    users.last_ui_login_date,
    users.last_api_login_date,
    users.last_login_date,
    users.last_login_date is null as never_logged_in,
    {{ dbt.datediff(
        'coalesce(users.last_login_date, ' ~ looker_date('users.created_at') ~ ')',
        'as_of.as_of', 'day') }} as days_idle,
    as_of.as_of,
    {{ inactive_after_days }} as inactive_after_days
from users
cross join as_of
cross join has_logins
where has_logins.known
  and {{ dbt.datediff(
        'coalesce(users.last_login_date, ' ~ looker_date('users.created_at') ~ ')',
        'as_of.as_of', 'day') }} >= {{ inactive_after_days }}

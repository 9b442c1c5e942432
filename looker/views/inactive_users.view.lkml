# inactive_users: Enabled users with no UI or API login for inactive_after_days days (var, default
# 90) as of the tap's last read of the user stream; never-logged-in users count from their
# creation. Grain: one row per idle enabled user.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: inactive_users {
  sql_table_name: `@{analytics_dataset}.inactive_users` ;;
  label: "Inactive users"

  dimension: user_id {
    primary_key: yes
    type: string
    description: "Looker user id."
    sql: ${TABLE}.user_id ;;
  }

  dimension: name {
    type: string
    description: "The user's name (hashed when hash_pii is on)."
    sql: ${TABLE}.name ;;
  }

  dimension: email {
    type: string
    description: "The user's email (hashed when hash_pii is on)."
    sql: ${TABLE}.email ;;
  }

  dimension_group: created {
    type: time
    description: "When the account was created."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.created_at ;;
  }

  dimension_group: last_ui_login {
    type: time
    description: "Last login through the Looker UI (user_facts)."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.last_ui_login_date ;;
  }

  dimension_group: last_api_login {
    type: time
    description: "Last login through the API (user_facts)."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.last_api_login_date ;;
  }

  dimension_group: last_login {
    type: time
    description: "The later of the two."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.last_login_date ;;
  }

  dimension: never_logged_in {
    type: yesno
    description: "No login of either kind."
    sql: ${TABLE}.never_logged_in ;;
  }

  dimension: days_idle {
    type: number
    description: "Days from the last login (or creation) to as_of."
    sql: ${TABLE}.days_idle ;;
  }

  dimension_group: as_of {
    type: time
    description: "The day the tap last read the user stream (today without the audit)."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.as_of ;;
  }

  dimension: inactive_after_days {
    type: number
    description: "The threshold used."
    sql: ${TABLE}.inactive_after_days ;;
  }

  dimension: days_idle_tier {
    type: tier
    description: "days_idle in bands."
    tiers: [90, 180, 365, 730]
    style: integer
    sql: ${days_idle} ;;
  }

  dimension: is_idle_licence {
    type: yesno
    description: "Always yes in this view's own explore; where it is joined (the owner of stale content, a schedule's user), no means the user is not idle."
    sql: ${user_id} IS NOT NULL ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Idle Licences"
    description: "Enabled users with no UI or API login for inactive_after_days days."
    drill_fields: [detail*]
  }

  measure: never_logged_in_count {
    type: count
    label: "Never Logged In"
    filters: [never_logged_in: "yes"]
    drill_fields: [detail*]
  }

  measure: average_days_idle {
    type: average
    sql: ${days_idle} ;;
    value_format_name: decimal_0
  }

  measure: max_days_idle {
    type: max
    sql: ${days_idle} ;;
  }

  set: detail {
    fields: [user_id, name, email, created_date, last_login_date, never_logged_in, days_idle]
  }
}

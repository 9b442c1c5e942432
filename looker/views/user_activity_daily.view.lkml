# user_activity_daily: Query runs per user and day (from history). Grain: one row per user_id and
# activity_date.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: user_activity_daily {
  sql_table_name: `@{analytics_dataset}.user_activity_daily` ;;
  label: "User activity (daily)"

  dimension: user_day_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "user_id|activity_date"
    sql: ${TABLE}.user_day_key ;;
  }

  dimension: user_id {
    type: string
    description: "Looker user id; (none) for runs without a user (internal, PDT builds)."
    sql: ${TABLE}.user_id ;;
  }

  dimension: user_name {
    type: string
    description: "The user's name (needs the user stream)."
    sql: ${TABLE}.user_name ;;
  }

  dimension_group: activity {
    type: time
    description: "Day (UTC) the query runs completed."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.activity_date ;;
  }

  dimension: queries {
    type: number
    description: "Finished query runs."
    sql: ${TABLE}.queries ;;
  }

  dimension: dashboard_queries {
    type: number
    description: "Runs on a dashboard."
    sql: ${TABLE}.dashboard_queries ;;
  }

  dimension: look_queries {
    type: number
    description: "Runs of a Look."
    sql: ${TABLE}.look_queries ;;
  }

  dimension: distinct_dashboards {
    type: number
    description: "Distinct dashboards run on the day."
    sql: ${TABLE}.distinct_dashboards ;;
  }

  dimension: distinct_looks {
    type: number
    description: "Distinct Looks run on the day."
    sql: ${TABLE}.distinct_looks ;;
  }

  dimension: failed_queries {
    type: number
    description: "Runs with status error, failure or failed."
    sql: ${TABLE}.failed_queries ;;
  }

  dimension: cached_queries {
    type: number
    description: "Runs served from Looker's cache."
    sql: ${TABLE}.cached_queries ;;
  }

  dimension: total_runtime_seconds {
    type: number
    description: "Sum of the runs' run times (seconds)."
    value_format_name: decimal_1
    sql: ${TABLE}.total_runtime_seconds ;;
  }

  # ---- measures
  measure: count {
    type: count
    description: "Rows: users with query runs, per day."
    drill_fields: [detail*]
  }

  measure: users {
    type: count_distinct
    description: "Distinct users with query runs."
    sql: ${user_id} ;;
    drill_fields: [detail*]
  }

  measure: total_queries {
    type: sum
    sql: ${queries} ;;
    drill_fields: [detail*]
  }

  measure: total_dashboard_queries {
    type: sum
    sql: ${dashboard_queries} ;;
  }

  measure: total_look_queries {
    type: sum
    sql: ${look_queries} ;;
  }

  measure: total_failed_queries {
    type: sum
    sql: ${failed_queries} ;;
  }

  measure: total_cached_queries {
    type: sum
    sql: ${cached_queries} ;;
  }

  measure: runtime_seconds {
    type: sum
    description: "Sum of the query runs' run times (seconds)."
    sql: ${total_runtime_seconds} ;;
    value_format_name: decimal_1
  }

  measure: failure_rate {
    type: number
    description: "Failed runs as a share of all runs."
    sql: SAFE_DIVIDE(${total_failed_queries}, ${total_queries}) ;;
    value_format_name: percent_1
  }

  measure: cache_rate {
    type: number
    description: "Cached runs as a share of all runs."
    sql: SAFE_DIVIDE(${total_cached_queries}, ${total_queries}) ;;
    value_format_name: percent_1
  }

  set: detail {
    fields: [activity_date, user_id, user_name, queries, failed_queries, cached_queries]
  }
}

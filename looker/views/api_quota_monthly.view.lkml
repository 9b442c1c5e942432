# api_quota_monthly: Looker API calls per month and quota class (query-based, administrative)
# against the edition's monthly allowance (var looker_edition), with the calls this pipeline made.
# Grain: one row per month and quota_class.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: api_quota_monthly {
  sql_table_name: `@{analytics_dataset}.api_quota_monthly` ;;
  label: "API quota (monthly)"

  dimension: quota_month_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "usage_month|quota_class"
    sql: ${TABLE}.quota_month_key ;;
  }

  dimension_group: usage {
    type: time
    description: "First day of the month."
    timeframes: [raw, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.usage_month ;;
  }

  dimension: quota_class {
    type: string
    description: "query, admin, not_counted (login) or unknown (an endpoint no source classifies)."
    sql: ${TABLE}.quota_class ;;
  }

  dimension: calls {
    type: number
    description: "Calls in the month (System Activity API Usage)."
    sql: ${TABLE}.calls ;;
  }

  dimension: monthly_quota {
    type: number
    description: "The edition's monthly allowance of the class; null for classes without one."
    sql: ${TABLE}.monthly_quota ;;
  }

  dimension: calls_left {
    type: number
    description: "monthly_quota - calls (negative when over)."
    sql: ${TABLE}.calls_left ;;
  }

  dimension: quota_used_percent {
    type: number
    description: "calls as a percentage of monthly_quota."
    value_format_name: decimal_1
    sql: ${TABLE}.quota_used_percent ;;
  }

  dimension: pipeline_calls {
    type: number
    description: "Calls of the class this pipeline's tap made in the month (its sync_audit)."
    sql: ${TABLE}.pipeline_calls ;;
  }

  dimension: edition {
    type: string
    description: "The edition the quota is taken from."
    sql: ${TABLE}.edition ;;
  }

  # ---- measures
  measure: total_calls {
    type: sum
    description: "API calls (System Activity API Usage)."
    sql: ${calls} ;;
    drill_fields: [detail*]
  }

  measure: calls_with_quota {
    type: sum
    description: "Calls of the classes with a monthly allowance (query, admin)."
    sql: CASE WHEN ${monthly_quota} IS NOT NULL THEN ${calls} END ;;
  }

  measure: total_monthly_quota {
    type: sum
    description: "The edition's monthly allowance of the classes shown."
    sql: ${monthly_quota} ;;
  }

  measure: total_calls_left {
    type: sum
    description: "Allowance minus calls (negative when over)."
    sql: ${calls_left} ;;
  }

  measure: quota_used_share {
    type: number
    description: "Calls of classes with an allowance as a share of that allowance."
    sql: SAFE_DIVIDE(${calls_with_quota}, ${total_monthly_quota}) ;;
    value_format_name: percent_1
  }

  measure: max_quota_used_percent {
    type: max
    description: "The highest quota_used_percent of the rows (a class and month)."
    sql: ${quota_used_percent} ;;
    value_format_name: decimal_1
  }

  measure: total_pipeline_calls {
    type: sum
    description: "Calls this pipeline's tap made (its sync_audit)."
    sql: ${pipeline_calls} ;;
  }

  set: detail {
    fields: [usage_month, quota_class, calls, monthly_quota, calls_left, quota_used_percent, pipeline_calls, edition]
  }
}

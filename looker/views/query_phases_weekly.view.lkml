# query_phases_weekly: Where query time goes, per ISO week and phase of Looker's Query
# Performance Metrics. Grain: one row per week_start and phase.
# Columns and descriptions from transform/models/marts/marts.yml.
view: query_phases_weekly {
  sql_table_name: `@{analytics_dataset}.query_phases_weekly` ;;
  label: "Query phases (weekly)"

  dimension: query_phase_week_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "week_start|phase."
    sql: ${TABLE}.query_phase_week_key ;;
  }

  dimension_group: week_start {
    type: time
    description: "The Monday the ISO week starts on (UTC)."
    timeframes: [raw, date, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.week_start ;;
  }

  dimension: phase {
    type: string
    description: "The phase (queued, acquire_connection, execute_main_query, cache_load, ...)."
    sql: ${TABLE}.phase ;;
  }

  dimension: tasks {
    type: number
    description: "Query tasks that went through the phase that week."
    sql: ${TABLE}.tasks ;;
  }

  dimension: total_seconds {
    type: number
    description: "Seconds spent in the phase that week, all tasks together."
    value_format_name: decimal_3
    sql: ${TABLE}.total_seconds ;;
  }

  dimension: p50_seconds {
    type: number
    description: "Median seconds per task in the phase."
    value_format_name: decimal_3
    sql: ${TABLE}.p50_seconds ;;
  }

  dimension: p90_seconds {
    type: number
    description: "90th percentile of seconds per task in the phase."
    value_format_name: decimal_3
    sql: ${TABLE}.p90_seconds ;;
  }

  dimension: max_seconds {
    type: number
    description: "The longest a task spent in the phase."
    value_format_name: decimal_3
    sql: ${TABLE}.max_seconds ;;
  }

  measure: phase_seconds {
    type: sum
    description: "Seconds spent in the phase, all tasks and weeks together."
    value_format_name: decimal_3
    sql: ${total_seconds} ;;
  }

  measure: phase_tasks {
    type: sum
    description: "Query tasks that went through the phase."
    sql: ${tasks} ;;
  }
}

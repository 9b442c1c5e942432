# slow_content: Run times of dashboards and explores per ISO week (history.runtime, seconds; cache
# hits left out of the percentiles). Grain: one row per content_kind, content_id and week_start.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: slow_content {
  sql_table_name: `@{analytics_dataset}.slow_content` ;;
  label: "Slow content"

  dimension: slow_content_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "content_kind:content_id|week_start"
    sql: ${TABLE}.slow_content_key ;;
  }

  dimension: content_kind {
    type: string
    description: "dashboard (the run was on one) or explore (model/explore of its query)."
    sql: ${TABLE}.content_kind ;;
  }

  dimension: content_id {
    type: string
    description: "Dashboard id, or model/explore."
    sql: ${TABLE}.content_id ;;
  }

  dimension_group: week_start {
    type: time
    description: "Monday of the ISO week (UTC)."
    timeframes: [raw, date, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.week_start ;;
  }

  dimension: runs {
    type: number
    description: "Completed runs not served from cache."
    sql: ${TABLE}.runs ;;
  }

  dimension: p50_runtime_seconds {
    type: number
    description: "Median run time."
    value_format_name: decimal_3
    sql: ${TABLE}.p50_runtime_seconds ;;
  }

  dimension: p90_runtime_seconds {
    type: number
    description: "90th percentile run time."
    value_format_name: decimal_3
    sql: ${TABLE}.p90_runtime_seconds ;;
  }

  dimension: p99_runtime_seconds {
    type: number
    description: "99th percentile run time."
    value_format_name: decimal_3
    sql: ${TABLE}.p99_runtime_seconds ;;
  }

  dimension: max_runtime_seconds {
    type: number
    description: "Slowest run."
    value_format_name: decimal_3
    sql: ${TABLE}.max_runtime_seconds ;;
  }

  dimension: cached_runs {
    type: number
    description: "Runs served from Looker's cache (not in the percentiles)."
    sql: ${TABLE}.cached_runs ;;
  }

  # ---- measures
  measure: count {
    type: count
    description: "Rows: content items with runs, per week."
    drill_fields: [detail*]
  }

  measure: total_runs {
    type: sum
    description: "Completed runs not served from cache."
    sql: ${runs} ;;
    drill_fields: [detail*]
  }

  measure: total_cached_runs {
    type: sum
    sql: ${cached_runs} ;;
  }

  measure: worst_p50_runtime_seconds {
    type: max
    label: "Worst Weekly p50 Runtime (s)"
    sql: ${p50_runtime_seconds} ;;
    value_format_name: decimal_3
  }

  measure: worst_p90_runtime_seconds {
    type: max
    label: "Worst Weekly p90 Runtime (s)"
    description: "The highest weekly p90 run time: percentiles do not add up, so across weeks or items this is a max, not a p90."
    sql: ${p90_runtime_seconds} ;;
    value_format_name: decimal_3
    drill_fields: [detail*]
  }

  measure: worst_p99_runtime_seconds {
    type: max
    label: "Worst Weekly p99 Runtime (s)"
    sql: ${p99_runtime_seconds} ;;
    value_format_name: decimal_3
  }

  measure: slowest_run_seconds {
    type: max
    label: "Slowest Run (s)"
    sql: ${max_runtime_seconds} ;;
    value_format_name: decimal_3
  }

  measure: cache_hit_rate {
    type: number
    description: "Cached runs as a share of all runs."
    sql: SAFE_DIVIDE(${total_cached_runs}, ${total_cached_runs} + ${total_runs}) ;;
    value_format_name: percent_1
  }

  set: detail {
    fields: [week_start_date, content_kind, content_id, runs, p50_runtime_seconds, p90_runtime_seconds, p99_runtime_seconds, max_runtime_seconds]
  }
}

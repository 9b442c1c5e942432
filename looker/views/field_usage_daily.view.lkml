# field_usage_daily: Uses per LookML field and day, from the differences between successive
# snapshots of field_usage's lifetime counters (the first run is a baseline; a lower counter
# counts from zero and is flagged). Grain: one row per field_usage_id and usage_date with at least
# one use.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: field_usage_daily {
  sql_table_name: `@{analytics_dataset}.field_usage_daily` ;;
  label: "Field usage (daily)"

  dimension: field_usage_day_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "field_usage_id|usage_date"
    sql: ${TABLE}.field_usage_day_key ;;
  }

  dimension: field_usage_id {
    type: number
    description: "Looker's field_usage id."
    value_format_name: id
    sql: ${TABLE}.field_usage_id ;;
  }

  dimension: model {
    type: string
    description: "LookML model."
    sql: ${TABLE}.model ;;
  }

  dimension: explore {
    type: string
    description: "Explore."
    sql: ${TABLE}.explore ;;
  }

  dimension: field {
    type: string
    description: "Full LookML name, view.field."
    sql: ${TABLE}.field ;;
  }

  dimension_group: usage {
    type: time
    description: "Day (UTC) of the read that saw the uses (window_end)."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.usage_date ;;
  }

  dimension_group: window_start {
    type: time
    description: "The uses happened after this (the previous read of the counter); null for a field first seen since."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_start ;;
  }

  dimension_group: window_end {
    type: time
    description: "... and at or before this (Looker's clock at the read)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_end ;;
  }

  dimension: uses {
    type: number
    description: "Queries that used the field in the window."
    sql: ${TABLE}.uses ;;
  }

  dimension: counter_reset {
    type: yesno
    description: "Looker's counter went down in the window (counted from zero)."
    sql: ${TABLE}.counter_reset ;;
  }

  dimension: spans_missed_run {
    type: yesno
    description: "The window covers more than one day or its start is unknown."
    sql: ${TABLE}.spans_missed_run ;;
  }

  # ---- measures
  measure: count {
    type: count
    description: "Rows: fields with uses, per day."
    drill_fields: [detail*]
  }

  measure: distinct_fields {
    type: count_distinct
    description: "Distinct fields (field_usage_id) with uses."
    sql: ${field_usage_id} ;;
    drill_fields: [detail*]
  }

  measure: total_uses {
    type: sum
    description: "Queries that used the fields."
    sql: ${uses} ;;
    drill_fields: [detail*]
  }

  set: detail {
    fields: [usage_date, model, explore, field, uses, spans_missed_run]
  }
}

# schedule_failures: Failed schedule deliveries (from scheduled_job). Grain: one row per failed
# job.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: schedule_failures {
  sql_table_name: `@{analytics_dataset}.schedule_failures` ;;
  label: "Schedule failures"

  dimension: scheduled_job_id {
    primary_key: yes
    type: number
    description: "The failed delivery (scheduled_job) id."
    value_format_name: id
    sql: ${TABLE}.scheduled_job_id ;;
  }

  dimension: scheduled_plan_id {
    type: string
    description: "The schedule (scheduled_plan) id."
    sql: ${TABLE}.scheduled_plan_id ;;
  }

  dimension: scheduled_plan_name {
    type: string
    description: "The schedule's name."
    sql: ${TABLE}.scheduled_plan_name ;;
  }

  dimension: user_id {
    type: string
    description: "The schedule's user."
    sql: ${TABLE}.user_id ;;
  }

  dimension_group: created {
    type: time
    description: "When the delivery was created."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.created_at ;;
  }

  dimension_group: finalized {
    type: time
    description: "When the delivery finished (failed)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.finalized_at ;;
  }

  dimension_group: failure {
    type: time
    description: "Day (UTC) of finalized_at."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.failure_date ;;
  }

  dimension: status {
    type: string
    description: "failure or error."
    sql: ${TABLE}.status ;;
  }

  dimension: status_detail {
    type: string
    description: "Looker's detail of the failure."
    sql: ${TABLE}.status_detail ;;
  }

  dimension_group: last_success {
    type: time
    description: "The schedule's latest successful delivery before this one; null when none."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.last_success_at ;;
  }

  dimension: failures_in_a_row {
    type: number
    description: "Deliveries in a row that failed, up to and including this one."
    sql: ${TABLE}.failures_in_a_row ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Failed Deliveries"
    drill_fields: [detail*]
  }

  measure: schedules {
    type: count_distinct
    description: "Distinct schedules (scheduled_plan_id) with a failed delivery."
    sql: ${scheduled_plan_id} ;;
    drill_fields: [detail*]
  }

  measure: longest_streak {
    type: max
    description: "The most deliveries in a row that failed."
    sql: ${failures_in_a_row} ;;
  }

  set: detail {
    fields: [scheduled_plan_id, scheduled_plan_name, user_id, finalized_time, status, status_detail, failures_in_a_row, last_success_time]
  }
}

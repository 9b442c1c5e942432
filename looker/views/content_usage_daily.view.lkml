# content_usage_daily: Accesses per content item and day, per channel, from the differences
# between successive snapshots of content_usage's cumulative counters. Grain: one row per content
# item (content_usage_id) and usage_date with at least one access.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: content_usage_daily {
  sql_table_name: `@{analytics_dataset}.content_usage_daily` ;;
  label: "Content usage (daily)"

  dimension: content_usage_day_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "content_usage_id|usage_date"
    sql: ${TABLE}.content_usage_day_key ;;
  }

  dimension: content_usage_id {
    type: number
    description: "System Activity's content_usage id: one per content item and kind of access record."
    value_format_name: id
    sql: ${TABLE}.content_usage_id ;;
  }

  dimension: content_type {
    type: string
    description: "dashboard, look, explore, ... (System Activity's content type)."
    sql: ${TABLE}.content_type ;;
  }

  dimension: content_id {
    type: string
    description: "The item's id (dashboard or Look id; model::name for a LookML dashboard)."
    sql: ${TABLE}.content_id ;;
  }

  dimension: title {
    type: string
    description: "The dashboard's or Look's title (needs the dashboard/look streams; null otherwise)."
    sql: ${TABLE}.title ;;
  }

  dimension_group: usage {
    type: time
    description: "Day of the item's last access in the newer snapshot (UTC)."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.usage_date ;;
  }

  dimension: api_accesses {
    type: number
    description: "Accesses through the API on the day."
    sql: ${TABLE}.api_accesses ;;
  }

  dimension: embed_accesses {
    type: number
    description: "Embedded accesses on the day."
    sql: ${TABLE}.embed_accesses ;;
  }

  dimension: public_accesses {
    type: number
    description: "Public (unauthenticated URL) accesses on the day."
    sql: ${TABLE}.public_accesses ;;
  }

  dimension: schedule_accesses {
    type: number
    description: "Scheduled deliveries on the day."
    sql: ${TABLE}.schedule_accesses ;;
  }

  dimension: other_accesses {
    type: number
    description: "Other accesses (in the Looker UI) on the day."
    sql: ${TABLE}.other_accesses ;;
  }

  dimension: total_accesses {
    type: number
    description: "All accesses on the day (the five channels)."
    sql: ${TABLE}.total_accesses ;;
  }

  dimension_group: window_start {
    type: time
    description: "The accesses happened after this: the previous run's latest access seen, or for a late row (older than that) the item's own previous access; null when unknown (a late row of an item not seen before)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_start ;;
  }

  dimension_group: window_end {
    type: time
    description: "... and at or before this (the item's last access)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_end ;;
  }

  dimension: spans_missed_run {
    type: yesno
    description: "True when the window covers more than the day before usage_date (a run was missed) or its start is unknown: some accesses may belong to earlier days."
    sql: ${TABLE}.spans_missed_run ;;
  }

  dimension: counter_reset {
    type: yesno
    description: "A Looker counter went down in the window (counted from zero)."
    sql: ${TABLE}.counter_reset ;;
  }

  # ---- measures
  measure: count {
    type: count
    description: "Rows: content items with accesses, per day."
    drill_fields: [detail*]
  }

  measure: content_items {
    type: count_distinct
    description: "Distinct content items (content_usage_id) with accesses."
    sql: ${content_usage_id} ;;
    drill_fields: [detail*]
  }

  measure: accesses {
    type: sum
    description: "Accesses over all channels."
    sql: ${total_accesses} ;;
    drill_fields: [detail*]
  }

  measure: accesses_api {
    type: sum
    label: "API Accesses"
    sql: ${api_accesses} ;;
  }

  measure: accesses_embed {
    type: sum
    label: "Embed Accesses"
    sql: ${embed_accesses} ;;
  }

  measure: accesses_public {
    type: sum
    label: "Public Accesses"
    sql: ${public_accesses} ;;
  }

  measure: accesses_schedule {
    type: sum
    label: "Schedule Accesses"
    sql: ${schedule_accesses} ;;
  }

  measure: accesses_other {
    type: sum
    label: "Other Accesses"
    sql: ${other_accesses} ;;
  }

  measure: uncertain_days {
    type: count
    description: "Rows whose window spans a missed run: some of their accesses may belong to earlier days."
    filters: [spans_missed_run: "yes"]
  }

  set: detail {
    fields: [usage_date, content_type, content_id, title, total_accesses, spans_missed_run]
  }
}

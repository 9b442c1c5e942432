# stale_content: What Looker's Unused Content page would offer to delete: the idle_content rows no
# rule keeps (not public, scheduled, favourited, on a dashboard, nor on the do-not-delete list).
# Grain: one row per content item (content_type, content_id).
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: stale_content {
  sql_table_name: `@{analytics_dataset}.stale_content` ;;
  label: "Stale content"

  dimension: content_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "content_type:content_id."
    sql: ${TABLE}.content_key ;;
  }

  dimension: content_type {
    type: string
    description: "dashboard or look (a LookML dashboard is a dashboard with a \"model::name\" id)."
    sql: ${TABLE}.content_type ;;
  }

  dimension: content_id {
    type: string
    description: "Looker's id of the dashboard or Look."
    sql: ${TABLE}.content_id ;;
  }

  dimension: title {
    type: string
    description: "Current title (dashboard or look stream), NULL without them."
    sql: ${TABLE}.title ;;
  }

  dimension: owner_user_id {
    type: string
    description: "The owner's Looker user id."
    sql: ${TABLE}.owner_user_id ;;
  }

  dimension: owner_name {
    type: string
    description: "The owner's name (user stream), NULL without it."
    sql: ${TABLE}.owner_name ;;
  }

  dimension: folder_id {
    type: string
    description: "The folder (space) the content is in."
    sql: ${TABLE}.folder_id ;;
  }

  dimension_group: created {
    type: time
    description: "When the content was created."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.created_at ;;
  }

  dimension_group: last_accessed {
    type: time
    description: "The latest access Content Usage recorded; NULL if never accessed."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.last_accessed_at ;;
  }

  dimension: never_accessed {
    type: yesno
    description: "No access recorded at all (idle since creation)."
    sql: ${TABLE}.never_accessed ;;
  }

  dimension: total_accesses {
    type: number
    description: "Lifetime accesses of every kind (api, embed, public, schedule, other)."
    sql: ${TABLE}.total_accesses ;;
  }

  dimension: days_idle {
    type: number
    description: "Days from the last access (or creation) to as_of."
    sql: ${TABLE}.days_idle ;;
  }

  dimension_group: as_of {
    type: time
    description: "The time staleness is judged at (the latest access known, or var stale_as_of)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.as_of ;;
  }

  dimension: stale_after_days {
    type: number
    description: "The threshold in days (var stale_after_days, DBT_LOOKER_STALE_AFTER_DAYS)."
    sql: ${TABLE}.stale_after_days ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Stale Items"
    description: "Idle dashboards and Looks no rule keeps: what Looker's Unused Content page would offer to delete."
    drill_fields: [detail*]
  }

  measure: never_accessed_count {
    type: count
    label: "Never Accessed Items"
    filters: [never_accessed: "yes"]
    drill_fields: [detail*]
  }

  measure: owners {
    type: count_distinct
    description: "Distinct owners of stale content."
    sql: ${owner_user_id} ;;
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

  measure: lifetime_accesses {
    type: sum
    description: "Lifetime accesses of the stale items."
    sql: ${total_accesses} ;;
  }

  set: detail {
    fields: [content_type, content_id, title, owner_name, folder_id, last_accessed_date, days_idle, never_accessed]
  }
}

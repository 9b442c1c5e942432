# content_deletions: What was deleted and when, from the dashboard and look snapshots: one row per
# deletion (a version that is deleted where the previous one was not, or the first version seen).
# Restored content keeps its row, with restored_at.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: content_deletions {
  sql_table_name: `@{analytics_dataset}.content_deletions` ;;
  label: "Content deletions"

  dimension: deletion_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "content_key|detected_at."
    sql: ${TABLE}.deletion_key ;;
  }

  dimension: content_key {
    type: string
    description: "content_type:content_id."
    sql: ${TABLE}.content_key ;;
  }

  dimension: content_type {
    type: string
    description: "dashboard or look."
    sql: ${TABLE}.content_type ;;
  }

  dimension: content_id {
    type: string
    description: "Looker's id of the dashboard or Look."
    sql: ${TABLE}.content_id ;;
  }

  dimension: title {
    type: string
    description: "Its title when deleted."
    sql: ${TABLE}.title ;;
  }

  dimension: owner_user_id {
    type: string
    description: "Its owner when deleted."
    sql: ${TABLE}.owner_user_id ;;
  }

  dimension: folder_id {
    type: string
    description: "Its folder when deleted."
    sql: ${TABLE}.folder_id ;;
  }

  dimension_group: deleted {
    type: time
    description: "Looker's time of the deletion (NULL when Looker gave only the flag)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.deleted_at ;;
  }

  dimension_group: detected {
    type: time
    description: "When the snapshot first saw it deleted (dbt_valid_from)."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.detected_at ;;
  }

  dimension: first_seen_deleted {
    type: yesno
    description: "Already deleted when the export first read it."
    sql: ${TABLE}.first_seen_deleted ;;
  }

  dimension_group: restored {
    type: time
    description: "When a later read found it restored from the trash; NULL if not."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.restored_at ;;
  }

  dimension_group: last_accessed {
    type: time
    description: "The latest access Content Usage recorded (content_usage), NULL without it."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.last_accessed_at ;;
  }

  dimension: is_restored {
    type: yesno
    description: "A later read found it restored from the trash."
    sql: ${restored_raw} IS NOT NULL ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Deletions"
    drill_fields: [detail*]
  }

  measure: content_items {
    type: count_distinct
    description: "Distinct dashboards and Looks deleted."
    sql: ${content_key} ;;
    drill_fields: [detail*]
  }

  measure: restored_count {
    type: count
    label: "Restored"
    filters: [is_restored: "yes"]
    drill_fields: [detail*]
  }

  set: detail {
    fields: [content_type, content_id, title, owner_user_id, deleted_time, detected_time, restored_time, last_accessed_date]
  }
}

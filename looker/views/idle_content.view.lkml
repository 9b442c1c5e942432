# idle_content: Dashboards and Looks nobody opened for stale_after_days days (var, default 90) as
# of as_of, including content never accessed (counted from its creation), and whether Looker's own
# Unused Content rules keep each: keep_reason is public, scheduled, favorite, on a dashboard or do
# not delete (seed looker_do_not_delete); NULL means stale. Deleted content is excluded; LookML
# dashboards only while their model is in the LookML catalog, never Looker's System Activity ones.
# A rule whose stream is not selected keeps nothing (its flag is NULL). Grain: one row per content
# item.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: idle_content {
  sql_table_name: `@{analytics_dataset}.idle_content` ;;
  label: "Idle content"

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

  dimension: is_public {
    type: yesno
    description: "A public Look (look.public); false for dashboards; NULL without the look stream."
    sql: ${TABLE}.is_public ;;
  }

  dimension: is_scheduled {
    type: yesno
    description: "An enabled, recurring schedule delivers it (latest scheduled_plan read); NULL without that stream."
    sql: ${TABLE}.is_scheduled ;;
  }

  dimension: is_favorite {
    type: yesno
    description: "Someone has it as a favourite (latest content_favorite read); NULL without that stream."
    sql: ${TABLE}.is_favorite ;;
  }

  dimension: on_dashboards {
    type: number
    description: "For a Look, the live dashboards showing it as a tile (dashboard_element); NULL without that stream."
    sql: ${TABLE}.on_dashboards ;;
  }

  dimension: do_not_delete_reason {
    type: string
    description: "The reason given in the do-not-delete list, if the item is on it."
    sql: ${TABLE}.do_not_delete_reason ;;
  }

  dimension: keep_reason {
    type: string
    description: "Why Looker (or the list) keeps it, the first rule that applies; NULL means stale."
    sql: ${TABLE}.keep_reason ;;
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

  dimension: is_kept {
    type: yesno
    description: "A rule (or the do-not-delete list) keeps it: keep_reason is not null. The items not kept are stale_content."
    sql: ${keep_reason} IS NOT NULL ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Idle Items"
    description: "Dashboards and Looks not accessed for stale_after_days days, kept or not."
    drill_fields: [detail*]
  }

  measure: kept_count {
    type: count
    label: "Idle but Kept"
    filters: [is_kept: "yes"]
    drill_fields: [detail*]
  }

  measure: stale_count {
    type: count
    label: "Stale (not kept)"
    filters: [is_kept: "no"]
    drill_fields: [detail*]
  }

  set: detail {
    fields: [content_type, content_id, title, owner_name, last_accessed_date, days_idle, keep_reason, do_not_delete_reason]
  }
}

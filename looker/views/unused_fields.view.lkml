# unused_fields: Every field of the current LookML catalog, with whether no query used it for
# unused_after_days days (var, default 90) as of the latest catalog read, and why. Grain: one row
# per model, explore and field.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: unused_fields {
  sql_table_name: `@{analytics_dataset}.unused_fields` ;;
  label: "Unused fields"

  dimension: lookml_field_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "model|explore|field"
    sql: ${TABLE}.lookml_field_key ;;
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

  dimension: view_name {
    type: string
    description: "The field's view."
    sql: ${TABLE}.view_name ;;
  }

  dimension: field {
    type: string
    description: "Full LookML name, view.field."
    sql: ${TABLE}.field ;;
  }

  dimension: category {
    type: string
    description: "dimension, measure, filter or parameter."
    sql: ${TABLE}.category ;;
  }

  dimension: field_type {
    type: string
    description: "LookML type."
    sql: ${TABLE}.field_type ;;
  }

  dimension: is_hidden {
    type: yesno
    description: "hidden in LookML (often a field kept for joins or other fields)."
    sql: ${TABLE}.is_hidden ;;
  }

  dimension: tags {
    type: string
    description: "LookML tags, comma-separated."
    sql: ${TABLE}.tags ;;
  }

  dimension: times_used {
    type: number
    description: "Lifetime uses by Looker's counters (the larger of field_usage and the metadata's own)."
    sql: ${TABLE}.times_used ;;
  }

  dimension_group: last_used {
    type: time
    description: "The latest day with a use seen by the export (field_usage_daily); null when none seen."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.last_used_date ;;
  }

  dimension_group: observed_since {
    type: time
    description: "The day the export first read field_usage."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.observed_since ;;
  }

  dimension_group: as_of {
    type: time
    description: "The day of the latest catalog read."
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.as_of ;;
  }

  dimension: reason {
    type: string
    description: "never used, or no use for N days; null for a field in use."
    sql: ${TABLE}.reason ;;
  }

  dimension: is_unused {
    type: yesno
    description: "reason is not null."
    sql: ${TABLE}.is_unused ;;
  }

  dimension: unused_after_days {
    type: number
    description: "The threshold used."
    sql: ${TABLE}.unused_after_days ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Fields"
    description: "Fields of the current LookML catalog."
    drill_fields: [detail*]
  }

  measure: unused_count {
    type: count
    label: "Unused Fields"
    filters: [is_unused: "yes"]
    drill_fields: [detail*]
  }

  measure: unused_share {
    type: number
    description: "Unused fields as a share of all fields."
    sql: SAFE_DIVIDE(${unused_count}, ${count}) ;;
    value_format_name: percent_1
  }

  measure: total_times_used {
    type: sum
    description: "Lifetime uses by Looker's counters."
    sql: ${times_used} ;;
  }

  set: detail {
    fields: [model, explore, view_name, field, category, field_type, is_hidden, times_used, last_used_date, reason]
  }
}

# extraction_audit: Whether each tap run read each stream completely, by Looker's own count of the
# run's window. Grain: one row per tap run (run_started_at, Looker's clock when it began) and
# stream. A run that failed its proof leaves the stream's bookmark where it was.
# Columns and descriptions from transform/models/marts/marts.yml (and the README's model table).
view: extraction_audit {
  sql_table_name: `@{analytics_dataset}.extraction_audit` ;;
  label: "Extraction audit"

  dimension: audit_key {
    primary_key: yes
    hidden: yes
    type: string
    description: "stream|run_started_at"
    sql: ${TABLE}.audit_key ;;
  }

  dimension_group: run_started {
    type: time
    description: "Looker's clock (its Date header) when the run began; the end of its windows."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.run_started_at ;;
  }

  dimension: stream {
    type: string
    description: "The tap stream."
    sql: ${TABLE}.stream ;;
  }

  dimension_group: window_from {
    type: time
    description: "Start of the window read (bookmark minus look-back); null for a first load or a full table."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_from ;;
  }

  dimension_group: window_to {
    type: time
    description: "End of the window (exclusive); null for a full table."
    timeframes: [raw, time, date, week, month, quarter, year]
    datatype: timestamp
    sql: ${TABLE}.window_to ;;
  }

  dimension: rows_read {
    type: number
    description: "Rows Looker returned over all pages."
    sql: ${TABLE}.rows_read ;;
  }

  dimension: records_written {
    type: number
    description: "Records the tap wrote (rows read minus the tap's own queries)."
    sql: ${TABLE}.records_written ;;
  }

  dimension: own_rows_left_out {
    type: number
    description: "The tap's own query rows left out of history (exclude_own_activity)."
    sql: ${TABLE}.own_rows_left_out ;;
  }

  dimension: looker_queries {
    type: number
    description: "Looker API calls the stream spent (query calls; admin calls for dashboard)."
    sql: ${TABLE}.looker_queries ;;
  }

  dimension: looker_count {
    type: number
    description: "Looker's count measure over the window; null when the explore has none."
    sql: ${TABLE}.looker_count ;;
  }

  dimension: status {
    type: string
    description: "complete, incomplete (count exceeded rows read), failed, or budget (the run's max_queries_per_run was spent: stopped cleanly at a page, the next run goes on)."
    sql: ${TABLE}.status ;;
  }

  dimension: is_proven {
    type: yesno
    description: "The read finished and Looker counts no row that was not read."
    sql: ${TABLE}.is_proven ;;
  }

  dimension: evidence {
    type: string
    description: "What ended the stream, in words."
    sql: ${TABLE}.evidence ;;
  }

  # ---- measures
  measure: count {
    type: count
    label: "Stream Runs"
    drill_fields: [detail*]
  }

  measure: proven_count {
    type: count
    label: "Proven Stream Runs"
    filters: [is_proven: "yes"]
    drill_fields: [detail*]
  }

  measure: unproven_count {
    type: count
    label: "Unproven Stream Runs"
    description: "Stream runs not proven complete (failed, incomplete, or ended without Looker's count)."
    filters: [is_proven: "no"]
    drill_fields: [detail*]
  }

  measure: total_rows_read {
    type: sum
    sql: ${rows_read} ;;
  }

  measure: total_records_written {
    type: sum
    sql: ${records_written} ;;
  }

  measure: total_looker_queries {
    type: sum
    label: "Total Looker API Calls"
    sql: ${looker_queries} ;;
  }

  set: detail {
    fields: [run_started_time, stream, status, rows_read, looker_count, is_proven, evidence]
  }
}

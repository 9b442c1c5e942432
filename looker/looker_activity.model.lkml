# Looker System Activity, exported to BigQuery by this repository's Meltano pipeline and
# modelled by its dbt marts (transform/models/marts): one explore per mart.

# The name of the BigQuery connection (Admin > Database > Connections) that reads the
# analytics dataset. "looker_activity_bigquery" is a placeholder: an admin renames it to
# the connection's real name (and the dataset in manifest.lkml, constant analytics_dataset).
connection: "looker_activity_bigquery"

include: "/views/*.view.lkml"
include: "/dashboards/*.dashboard.lookml"

label: "Looker Activity"

explore: content_usage_daily {
  label: "Content Usage (daily)"
  description: "Accesses per dashboard, Look and explore, per day and channel."
}

explore: stale_content {
  label: "Stale Content"
  description: "Idle dashboards and Looks no rule keeps (what Looker's Unused Content page would delete); with their owner's idle licence, if any."

  # The owner's idle licence (inactive_users): stale content of an idle owner is the safest to clean up.
  join: idle_owner {
    from: inactive_users
    view_label: "Owner (Idle Licence)"
    type: left_outer
    relationship: many_to_one
    sql_on: ${stale_content.owner_user_id} = ${idle_owner.user_id} ;;
  }
}

explore: idle_content {
  label: "Idle Content"
  description: "Every dashboard and Look nobody opened for N days, and which rule (public, scheduled, favourite, on a dashboard, do-not-delete list) keeps it."

  join: idle_owner {
    from: inactive_users
    view_label: "Owner (Idle Licence)"
    type: left_outer
    relationship: many_to_one
    sql_on: ${idle_content.owner_user_id} = ${idle_owner.user_id} ;;
  }
}

explore: content_deletions {
  label: "Content Deletions"
  description: "What was deleted and when (and restored), from the dashboard and Look snapshots."
}

explore: user_activity_daily {
  label: "User Activity (daily)"
  description: "Query runs per user and day."
}

explore: schedule_failures {
  label: "Schedule Failures"
  description: "Failed schedule deliveries, with the failure streak; and whether the schedule's user is idle."

  # The schedule's user when that licence is idle (inactive_users): failing schedules of
  # people who no longer log in are candidates to reassign or delete.
  join: idle_user {
    from: inactive_users
    view_label: "User (Idle Licence)"
    type: left_outer
    relationship: many_to_one
    sql_on: ${schedule_failures.user_id} = ${idle_user.user_id} ;;
  }
}

explore: extraction_audit {
  label: "Extraction Audit"
  description: "Whether each tap run read each stream completely (the export's own audit)."
}

explore: field_usage_daily {
  label: "Field Usage (daily)"
  description: "Uses per LookML field and day; with the field's catalog entry (view, category, type)."

  # The field's entry in the current LookML catalog (one per model, explore and field).
  join: unused_fields {
    view_label: "Field Catalog"
    type: left_outer
    relationship: many_to_one
    sql_on: ${field_usage_daily.model} = ${unused_fields.model}
      AND ${field_usage_daily.explore} = ${unused_fields.explore}
      AND ${field_usage_daily.field} = ${unused_fields.field} ;;
  }
}

explore: unused_fields {
  label: "Unused Fields"
  description: "Every field of the current LookML catalog, with whether (and why) it is unused."
}

explore: inactive_users {
  label: "Inactive Users"
  description: "Idle licences: enabled users with no UI or API login for N days."
}

explore: api_quota_monthly {
  label: "API Quota (monthly)"
  description: "API calls per month and quota class against the edition's allowance, and this pipeline's share."
}

explore: slow_content {
  label: "Slow Content"
  description: "Run times (p50, p90, p99, max) of dashboards and explores per ISO week."
}

explore: query_phases_weekly {
  label: "Query Phases (weekly)"
  description: "Where query time goes: seconds per phase of Looker's Query Performance Metrics, per ISO week."
}

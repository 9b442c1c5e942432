# Project manifest of the Looker System Activity export (see README.md).

# The BigQuery dataset dbt builds the marts in: `<raw dataset>_analytics`, by default
# `looker_activity_analytics` (transform/dbt_project.yml; the dbt `schema` setting changes it).
# Views read `@{analytics_dataset}.<mart>`, so `project_id.dataset` works too when the
# connection's default project is another one. Change the value here, or, when this project is
# imported into another one, override it there (override_optional).
constant: analytics_dataset {
  value: "looker_activity_analytics"
  export: override_optional
}

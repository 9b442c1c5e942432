# How much of the month's API quota is used, and by this pipeline? (api_quota_monthly)
- dashboard: api_quota
  title: API Quota
  description: "Looker API calls per month and quota class against the edition's monthly allowance (dbt var looker_edition), with the calls this pipeline made (api_quota_monthly)."
  layout: newspaper
  preferred_viewer: dashboards-next

  filters:
  - name: usage_month
    title: Month
    type: field_filter
    default_value: 12 months
    allow_multiple_values: true
    required: false
    ui_config:
      type: relative_timeframes
      display: inline
    model: looker_activity
    explore: api_quota_monthly
    field: api_quota_monthly.usage_month
  - name: quota_class
    title: Quota Class
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: checkboxes
      display: inline
    model: looker_activity
    explore: api_quota_monthly
    field: api_quota_monthly.quota_class

  elements:
  - name: query_quota_this_month
    title: Query Quota Used This Month (%)
    model: looker_activity
    explore: api_quota_monthly
    type: single_value
    fields: [api_quota_monthly.max_quota_used_percent]
    filters:
      api_quota_monthly.quota_class: query
      api_quota_monthly.usage_month: this month
    row: 0
    col: 0
    width: 6
    height: 4
  - name: admin_quota_this_month
    title: Admin Quota Used This Month (%)
    model: looker_activity
    explore: api_quota_monthly
    type: single_value
    fields: [api_quota_monthly.max_quota_used_percent]
    filters:
      api_quota_monthly.quota_class: admin
      api_quota_monthly.usage_month: this month
    row: 0
    col: 6
    width: 6
    height: 4
  - name: calls_this_month
    title: Calls This Month
    model: looker_activity
    explore: api_quota_monthly
    type: single_value
    fields: [api_quota_monthly.total_calls]
    filters:
      api_quota_monthly.usage_month: this month
    listen:
      quota_class: api_quota_monthly.quota_class
    row: 0
    col: 12
    width: 6
    height: 4
  - name: pipeline_calls_this_month
    title: This Pipeline's Calls This Month
    model: looker_activity
    explore: api_quota_monthly
    type: single_value
    fields: [api_quota_monthly.total_pipeline_calls]
    filters:
      api_quota_monthly.usage_month: this month
    listen:
      quota_class: api_quota_monthly.quota_class
    row: 0
    col: 18
    width: 6
    height: 4
  - name: calls_per_month
    title: Calls per Month, by Quota Class
    model: looker_activity
    explore: api_quota_monthly
    type: looker_column
    fields: [api_quota_monthly.usage_month, api_quota_monthly.quota_class, api_quota_monthly.total_calls]
    pivots: [api_quota_monthly.quota_class]
    sorts: [api_quota_monthly.usage_month desc, api_quota_monthly.quota_class]
    limit: 500
    stacking: normal
    listen:
      usage_month: api_quota_monthly.usage_month
      quota_class: api_quota_monthly.quota_class
    row: 4
    col: 0
    width: 12
    height: 8
  - name: quota_used_per_month
    title: Quota Used per Month (%)
    model: looker_activity
    explore: api_quota_monthly
    type: looker_line
    fields: [api_quota_monthly.usage_month, api_quota_monthly.quota_class, api_quota_monthly.max_quota_used_percent]
    pivots: [api_quota_monthly.quota_class]
    sorts: [api_quota_monthly.usage_month desc, api_quota_monthly.quota_class]
    limit: 500
    listen:
      usage_month: api_quota_monthly.usage_month
      quota_class: api_quota_monthly.quota_class
    row: 4
    col: 12
    width: 12
    height: 8
  - name: quota_table
    title: Calls, Allowance and This Pipeline's Share
    model: looker_activity
    explore: api_quota_monthly
    type: looker_grid
    fields: [api_quota_monthly.usage_month, api_quota_monthly.quota_class, api_quota_monthly.edition,
      api_quota_monthly.total_calls, api_quota_monthly.total_monthly_quota, api_quota_monthly.total_calls_left,
      api_quota_monthly.max_quota_used_percent, api_quota_monthly.total_pipeline_calls]
    sorts: [api_quota_monthly.usage_month desc, api_quota_monthly.quota_class]
    limit: 500
    listen:
      usage_month: api_quota_monthly.usage_month
      quota_class: api_quota_monthly.quota_class
    row: 12
    col: 0
    width: 24
    height: 8

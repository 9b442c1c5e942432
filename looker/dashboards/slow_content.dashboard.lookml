# Which dashboards and explores are slow, week by week? (slow_content)
- dashboard: slow_content
  title: Slow Content
  description: "Run times of dashboards and explores per ISO week: p50, p90, p99 and slowest run of completed runs not served from cache (slow_content)."
  layout: newspaper
  preferred_viewer: dashboards-next

  filters:
  - name: week
    title: Week
    type: field_filter
    default_value: 12 weeks
    allow_multiple_values: true
    required: false
    ui_config:
      type: relative_timeframes
      display: inline
    model: looker_activity
    explore: slow_content
    field: slow_content.week_start_date
  - name: content_kind
    title: Dashboard or Explore
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: checkboxes
      display: inline
    model: looker_activity
    explore: slow_content
    field: slow_content.content_kind
  - name: content_id
    title: Content (dashboard id or model/explore)
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: looker_activity
    explore: slow_content
    field: slow_content.content_id
    listens_to_filters: [content_kind]

  elements:
  - name: runs
    title: Runs (not cached)
    model: looker_activity
    explore: slow_content
    type: single_value
    fields: [slow_content.total_runs]
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 0
    col: 0
    width: 8
    height: 4
  - name: worst_p90
    title: Worst Weekly p90 (s)
    model: looker_activity
    explore: slow_content
    type: single_value
    fields: [slow_content.worst_p90_runtime_seconds]
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 0
    col: 8
    width: 8
    height: 4
  - name: cache_hit_rate
    title: Cache Hit Rate
    model: looker_activity
    explore: slow_content
    type: single_value
    fields: [slow_content.cache_hit_rate]
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 0
    col: 16
    width: 8
    height: 4
  - name: p90_per_week
    title: Worst p90 per Week
    model: looker_activity
    explore: slow_content
    type: looker_line
    fields: [slow_content.week_start_date, slow_content.content_kind, slow_content.worst_p90_runtime_seconds]
    pivots: [slow_content.content_kind]
    sorts: [slow_content.week_start_date desc, slow_content.content_kind]
    limit: 500
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 4
    col: 0
    width: 12
    height: 8
  - name: slowest_content
    title: Slowest Content (worst weekly p90)
    model: looker_activity
    explore: slow_content
    type: looker_bar
    fields: [slow_content.content_kind, slow_content.content_id, slow_content.worst_p90_runtime_seconds,
      slow_content.worst_p50_runtime_seconds]
    sorts: [slow_content.worst_p90_runtime_seconds desc]
    limit: 15
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 4
    col: 12
    width: 12
    height: 8
  - name: slow_content_weekly
    title: Run Times per Content and Week
    model: looker_activity
    explore: slow_content
    type: looker_grid
    fields: [slow_content.week_start_date, slow_content.content_kind, slow_content.content_id,
      slow_content.total_runs, slow_content.worst_p50_runtime_seconds, slow_content.worst_p90_runtime_seconds,
      slow_content.worst_p99_runtime_seconds, slow_content.slowest_run_seconds, slow_content.total_cached_runs]
    sorts: [slow_content.worst_p90_runtime_seconds desc]
    limit: 500
    listen:
      week: slow_content.week_start_date
      content_kind: slow_content.content_kind
      content_id: slow_content.content_id
    row: 12
    col: 0
    width: 24
    height: 10

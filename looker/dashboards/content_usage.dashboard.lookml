# How is each dashboard, Look and explore used, day by day and per channel? (content_usage_daily)
- dashboard: content_usage
  title: Content Usage
  description: "Accesses per day and channel, and the most used content (System Activity, via the dbt mart content_usage_daily)."
  layout: newspaper
  preferred_viewer: dashboards-next
  crossfilter_enabled: true

  filters:
  - name: usage_date
    title: Usage Date
    type: field_filter
    default_value: 30 days
    allow_multiple_values: true
    required: false
    ui_config:
      type: relative_timeframes
      display: inline
    model: looker_activity
    explore: content_usage_daily
    field: content_usage_daily.usage_date
  - name: content_type
    title: Content Type
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: checkboxes
      display: popover
    model: looker_activity
    explore: content_usage_daily
    field: content_usage_daily.content_type
  - name: title
    title: Title
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: looker_activity
    explore: content_usage_daily
    field: content_usage_daily.title

  elements:
  - name: total_accesses
    title: Accesses
    model: looker_activity
    explore: content_usage_daily
    type: single_value
    fields: [content_usage_daily.accesses]
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 0
    col: 0
    width: 8
    height: 4
  - name: content_items
    title: Content Items Used
    model: looker_activity
    explore: content_usage_daily
    type: single_value
    fields: [content_usage_daily.content_items]
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 0
    col: 8
    width: 8
    height: 4
  - name: uncertain_days
    title: Rows Spanning a Missed Run
    note_text: "Accesses of these rows may belong to earlier days (a run was missed)."
    model: looker_activity
    explore: content_usage_daily
    type: single_value
    fields: [content_usage_daily.uncertain_days]
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 0
    col: 16
    width: 8
    height: 4
  - name: accesses_per_day
    title: Accesses per Day, by Channel
    model: looker_activity
    explore: content_usage_daily
    type: looker_line
    fields: [content_usage_daily.usage_date, content_usage_daily.accesses_api, content_usage_daily.accesses_embed,
      content_usage_daily.accesses_public, content_usage_daily.accesses_schedule, content_usage_daily.accesses_other]
    sorts: [content_usage_daily.usage_date desc]
    limit: 500
    stacking: normal
    show_null_points: true
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 4
    col: 0
    width: 24
    height: 8
  - name: top_content
    title: Most Used Content
    model: looker_activity
    explore: content_usage_daily
    type: looker_bar
    fields: [content_usage_daily.content_type, content_usage_daily.content_id, content_usage_daily.title,
      content_usage_daily.accesses]
    sorts: [content_usage_daily.accesses desc]
    limit: 15
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 12
    col: 0
    width: 12
    height: 10
  - name: top_content_by_channel
    title: Most Used Content, by Channel
    model: looker_activity
    explore: content_usage_daily
    type: looker_grid
    fields: [content_usage_daily.content_type, content_usage_daily.content_id, content_usage_daily.title,
      content_usage_daily.accesses, content_usage_daily.accesses_other, content_usage_daily.accesses_schedule,
      content_usage_daily.accesses_api, content_usage_daily.accesses_embed, content_usage_daily.accesses_public]
    sorts: [content_usage_daily.accesses desc]
    limit: 100
    listen:
      usage_date: content_usage_daily.usage_date
      content_type: content_usage_daily.content_type
      title: content_usage_daily.title
    row: 12
    col: 12
    width: 12
    height: 10

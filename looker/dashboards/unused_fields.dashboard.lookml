# Which fields of our LookML has nobody used for N days, per explore? (unused_fields)
- dashboard: unused_fields
  title: Unused Fields
  description: "Fields of the current LookML catalog no query used for unused_after_days days (dbt var, default 90), per model and explore (unused_fields)."
  layout: newspaper
  preferred_viewer: dashboards-next

  filters:
  - name: model
    title: Model
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: looker_activity
    explore: unused_fields
    field: unused_fields.model
  - name: explore
    title: Explore
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: looker_activity
    explore: unused_fields
    field: unused_fields.explore
    listens_to_filters: [model]
  - name: category
    title: Category
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: checkboxes
      display: popover
    model: looker_activity
    explore: unused_fields
    field: unused_fields.category
  - name: is_hidden
    title: Hidden in LookML
    type: field_filter
    default_value: ""
    allow_multiple_values: false
    required: false
    ui_config:
      type: button_group
      display: inline
    model: looker_activity
    explore: unused_fields
    field: unused_fields.is_hidden

  elements:
  - name: unused_count
    title: Unused Fields
    model: looker_activity
    explore: unused_fields
    type: single_value
    fields: [unused_fields.unused_count]
    listen:
      model: unused_fields.model
      explore: unused_fields.explore
      category: unused_fields.category
      is_hidden: unused_fields.is_hidden
    row: 0
    col: 0
    width: 8
    height: 4
  - name: field_count
    title: Fields in the Catalog
    model: looker_activity
    explore: unused_fields
    type: single_value
    fields: [unused_fields.count]
    listen:
      model: unused_fields.model
      explore: unused_fields.explore
      category: unused_fields.category
      is_hidden: unused_fields.is_hidden
    row: 0
    col: 8
    width: 8
    height: 4
  - name: unused_share
    title: Share Unused
    model: looker_activity
    explore: unused_fields
    type: single_value
    fields: [unused_fields.unused_share]
    listen:
      model: unused_fields.model
      explore: unused_fields.explore
      category: unused_fields.category
      is_hidden: unused_fields.is_hidden
    row: 0
    col: 16
    width: 8
    height: 4
  - name: unused_per_explore
    title: Unused Fields per Explore
    model: looker_activity
    explore: unused_fields
    type: looker_bar
    fields: [unused_fields.model, unused_fields.explore, unused_fields.unused_count, unused_fields.count]
    sorts: [unused_fields.unused_count desc]
    limit: 25
    listen:
      model: unused_fields.model
      explore: unused_fields.explore
      category: unused_fields.category
      is_hidden: unused_fields.is_hidden
    row: 4
    col: 0
    width: 10
    height: 12
  - name: unused_list
    title: Unused Fields, and Why
    model: looker_activity
    explore: unused_fields
    type: looker_grid
    fields: [unused_fields.model, unused_fields.explore, unused_fields.view_name, unused_fields.field,
      unused_fields.category, unused_fields.field_type, unused_fields.is_hidden, unused_fields.reason,
      unused_fields.times_used, unused_fields.last_used_date, unused_fields.tags]
    filters:
      unused_fields.is_unused: "Yes"
    sorts: [unused_fields.model, unused_fields.explore, unused_fields.field]
    limit: 5000
    listen:
      model: unused_fields.model
      explore: unused_fields.explore
      category: unused_fields.category
      is_hidden: unused_fields.is_hidden
    row: 4
    col: 10
    width: 14
    height: 12

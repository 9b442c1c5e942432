# Which dashboards and Looks has nobody opened for N days (to clean up)? (stale_content)
- dashboard: stale_content
  title: Stale Content
  description: "Dashboards and Looks not opened for stale_after_days days (dbt var, default 90) that no rule keeps, what keeps the others, and whose owners are idle licences (stale_content, idle_content, inactive_users)."
  layout: newspaper
  preferred_viewer: dashboards-next

  filters:
  - name: content_type
    title: Content Type
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: checkboxes
      display: inline
    model: looker_activity
    explore: stale_content
    field: stale_content.content_type
  - name: owner
    title: Owner
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: looker_activity
    explore: stale_content
    field: stale_content.owner_name
  - name: days_idle
    title: Days Idle
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    required: false
    ui_config:
      type: advanced
      display: popover
    model: looker_activity
    explore: stale_content
    field: stale_content.days_idle
  - name: owner_idle
    title: Owner Is an Idle Licence
    type: field_filter
    default_value: ""
    allow_multiple_values: false
    required: false
    ui_config:
      type: button_group
      display: inline
    model: looker_activity
    explore: stale_content
    field: idle_owner.is_idle_licence

  elements:
  - name: stale_items
    title: Stale Items
    model: looker_activity
    explore: stale_content
    type: single_value
    fields: [stale_content.count]
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 0
    col: 0
    width: 6
    height: 4
  - name: never_accessed
    title: Never Accessed
    model: looker_activity
    explore: stale_content
    type: single_value
    fields: [stale_content.never_accessed_count]
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 0
    col: 6
    width: 6
    height: 4
  - name: owners
    title: Owners of Stale Content
    model: looker_activity
    explore: stale_content
    type: single_value
    fields: [stale_content.owners]
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 0
    col: 12
    width: 6
    height: 4
  - name: stale_of_idle_owners
    title: Stale Items of Idle Owners
    note_text: "Owners with no login for inactive_after_days days: the safest to clean up."
    model: looker_activity
    explore: stale_content
    type: single_value
    fields: [stale_content.count]
    filters:
      idle_owner.is_idle_licence: "Yes"
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
    row: 0
    col: 18
    width: 6
    height: 4
  - name: stale_by_owner
    title: Stale Items by Owner
    model: looker_activity
    explore: stale_content
    type: looker_bar
    fields: [stale_content.owner_name, stale_content.content_type, stale_content.count]
    pivots: [stale_content.content_type]
    sorts: [stale_content.count desc 0]
    limit: 20
    stacking: normal
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 4
    col: 0
    width: 8
    height: 12
  - name: stale_list
    title: Stale Content, Longest Idle First
    model: looker_activity
    explore: stale_content
    type: looker_grid
    fields: [stale_content.content_type, stale_content.content_id, stale_content.title, stale_content.owner_name,
      stale_content.folder_id, stale_content.created_date, stale_content.last_accessed_date, stale_content.days_idle,
      stale_content.never_accessed, stale_content.total_accesses, idle_owner.is_idle_licence]
    sorts: [stale_content.days_idle desc]
    limit: 500
    listen:
      content_type: stale_content.content_type
      owner: stale_content.owner_name
      days_idle: stale_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 4
    col: 8
    width: 16
    height: 12
  - name: idle_but_kept
    title: Idle but Kept, by Reason
    note_text: "Idle content Looker's Unused Content rules (or the do-not-delete list) keep: not in the list above."
    model: looker_activity
    explore: idle_content
    type: looker_bar
    fields: [idle_content.keep_reason, idle_content.count]
    filters:
      idle_content.is_kept: "Yes"
    sorts: [idle_content.count desc]
    limit: 10
    listen:
      content_type: idle_content.content_type
      owner: idle_content.owner_name
      days_idle: idle_content.days_idle
      owner_idle: idle_owner.is_idle_licence
    row: 16
    col: 0
    width: 24
    height: 6

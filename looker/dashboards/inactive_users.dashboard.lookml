# Which licences are idle (no UI or API login for N days)? (inactive_users)
- dashboard: inactive_users
  title: Idle Licences
  description: "Enabled users with no UI or API login for inactive_after_days days (dbt var, default 90), as of the tap's last read of the users (inactive_users)."
  layout: newspaper
  preferred_viewer: dashboards-next

  filters:
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
    explore: inactive_users
    field: inactive_users.days_idle
  - name: never_logged_in
    title: Never Logged In
    type: field_filter
    default_value: ""
    allow_multiple_values: false
    required: false
    ui_config:
      type: button_group
      display: inline
    model: looker_activity
    explore: inactive_users
    field: inactive_users.never_logged_in

  elements:
  - name: idle_licences
    title: Idle Licences
    model: looker_activity
    explore: inactive_users
    type: single_value
    fields: [inactive_users.count]
    listen:
      days_idle: inactive_users.days_idle
      never_logged_in: inactive_users.never_logged_in
    row: 0
    col: 0
    width: 8
    height: 4
  - name: never_logged_in_count
    title: Never Logged In
    model: looker_activity
    explore: inactive_users
    type: single_value
    fields: [inactive_users.never_logged_in_count]
    listen:
      days_idle: inactive_users.days_idle
      never_logged_in: inactive_users.never_logged_in
    row: 0
    col: 8
    width: 8
    height: 4
  - name: average_days_idle
    title: Average Days Idle
    model: looker_activity
    explore: inactive_users
    type: single_value
    fields: [inactive_users.average_days_idle]
    listen:
      days_idle: inactive_users.days_idle
      never_logged_in: inactive_users.never_logged_in
    row: 0
    col: 16
    width: 8
    height: 4
  - name: idle_by_tier
    title: Idle Licences by Days Idle
    model: looker_activity
    explore: inactive_users
    type: looker_bar
    fields: [inactive_users.days_idle_tier, inactive_users.count]
    sorts: [inactive_users.days_idle_tier]
    limit: 50
    listen:
      days_idle: inactive_users.days_idle
      never_logged_in: inactive_users.never_logged_in
    row: 4
    col: 0
    width: 8
    height: 10
  - name: idle_list
    title: Idle Licences, Longest Idle First
    model: looker_activity
    explore: inactive_users
    type: looker_grid
    fields: [inactive_users.user_id, inactive_users.name, inactive_users.email, inactive_users.created_date,
      inactive_users.last_ui_login_date, inactive_users.last_api_login_date, inactive_users.last_login_date,
      inactive_users.never_logged_in, inactive_users.days_idle]
    sorts: [inactive_users.days_idle desc]
    limit: 5000
    listen:
      days_idle: inactive_users.days_idle
      never_logged_in: inactive_users.never_logged_in
    row: 4
    col: 8
    width: 16
    height: 10

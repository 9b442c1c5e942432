"""tap-looker-activity: Looker System Activity as Singer streams."""

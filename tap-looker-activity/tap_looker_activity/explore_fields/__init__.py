"""Bundled explore definitions, used when Looker's LookML metadata is unavailable."""

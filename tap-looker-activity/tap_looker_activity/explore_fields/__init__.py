"""Bundled explore field lists: the fallback when Looker's LookML metadata is unavailable."""

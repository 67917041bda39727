"""Alerts: one notifier with pluggable channels (a log line, a file, a Slack-compatible webhook)."""

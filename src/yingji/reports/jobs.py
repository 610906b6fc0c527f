"""Timed work of reports: registered with yingji.core.jobs."""

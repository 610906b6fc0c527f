"""Timed work of hazards: registered with yingji.core.jobs."""

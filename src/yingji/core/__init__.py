"""Shared machinery: configuration, database, auth, audit, events, jobs and i18n."""

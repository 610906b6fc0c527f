"""Public and whistle-blower reports (安全生产举报), their triage and the reward workflow."""

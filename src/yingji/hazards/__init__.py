"""Hazards (事故隐患排查治理): reported hazards and their closed loop up to 销号."""

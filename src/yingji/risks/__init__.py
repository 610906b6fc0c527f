"""Dual prevention (双重预防): graded risk control and major-hazard identification."""

"""Hazard checklists (重大事故隐患判定标准 and custom checklists): private implementation."""

"""Private implementation of yingji.risks.assessment; import from there."""

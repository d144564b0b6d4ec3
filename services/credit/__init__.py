"""The credit service: key-account credit levels, limits, assessments, the level-change chain."""

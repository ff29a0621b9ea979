"""Files people fill in and isoaudit reads back: the saved audit, the findings register, the chair's decisions
workbook, the statistical sample worksheet and the checklist workbook."""

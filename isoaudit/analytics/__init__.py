"""Audit analytics on dossier logs (issue #18): what the log hides that the agency's own statistics do not
show. Each test takes one unit's judged year (``measures.UnitYear``) and gives an ``AnalyticsResult``."""

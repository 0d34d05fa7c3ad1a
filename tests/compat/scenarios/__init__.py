"""Scenario modules, one per area of the API; each registers its scenarios on import."""

"""Each system's infra: ``settings.py`` (its namespace) and ``component.py`` (its resources)."""

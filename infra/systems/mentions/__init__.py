"""mentions (seed 000) infra: settings, the system component and its dashboard."""

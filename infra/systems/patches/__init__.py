"""patches (seed 001) infra: settings, the system component and its dashboard."""

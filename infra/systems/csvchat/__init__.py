"""csvchat (seed 003) infra: settings and the system component."""

"""comms (seed 004) infra: settings and the system component."""

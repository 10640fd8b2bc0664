"""The comms app's logic: the channel router (and, later, the channel processors)."""

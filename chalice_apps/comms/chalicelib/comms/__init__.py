"""The comms app's logic: the channel router, the channel processors, and the providers'
delivery reports."""

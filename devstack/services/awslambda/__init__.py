"""Lambda: functions and their settings (made-up outputs; the local runtime reads their
inputs), and the local Lambda service (``service.py``) running each function's handler in a
warm process (``function_host.py``), with on-failure destinations (``destinations.py``)."""

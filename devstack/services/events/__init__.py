"""EventBridge and EventBridge Scheduler: rules, targets and schedules as declared, and the
firing of schedules by their expressions (``schedules.py``)."""

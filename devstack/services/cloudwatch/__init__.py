"""CloudWatch and CloudWatch Logs: log groups, metric filters and alarms as declared, and the
evaluation moto lacks: metrics from the functions' logs (``log_metrics.py``, ``metrics.py``),
alarm evaluation (``alarms.py``, ``alarm_watch.py``) and the e-mail inbox alarms notify
(``inbox.py``)."""

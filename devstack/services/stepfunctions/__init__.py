"""Step Functions: state machines (moto executes them) and the watch over their executions
(``executions.py``)."""

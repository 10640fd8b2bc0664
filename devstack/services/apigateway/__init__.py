"""API Gateway: REST APIs, stages and keys (made-up outputs), and each app's API served
locally as API Gateway would (``gateway.py``)."""

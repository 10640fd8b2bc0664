"""Cognito: user pools and app clients as declared, and the ID-token checks API Gateway's
Cognito authorizer makes (``auth.py``)."""

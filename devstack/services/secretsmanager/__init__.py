"""Secrets Manager: secrets as declared, with no value (operators put it)."""

"""The local runtime grouped by AWS service: in ``services/<service>/``, what the program's
resource types of that service become locally (``resources.py``: created in moto, or their
made-up outputs) and the emulation moto lacks for that service. ``registry.py`` merges the
services' resource types into one table keyed on the Pulumi type token."""

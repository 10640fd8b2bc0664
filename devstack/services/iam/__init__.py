"""IAM: roles and their inline policies as declared (the local Athena evaluates them)."""

"""Code shared by the Chalice apps and the Pulumi program.

Everything under ``shared`` except ``shared.local`` is vendored into every Lambda package, so
modules here import only what the Lambda runtime has (boto3) or what the apps ship.
"""

"""What every Lambda package ships and the Pulumi program shares: config names, AWS clients,
errors, logging and metrics.

Everything here is vendored into every Lambda zip, so modules import only what the Lambda
runtime has (boto3) or what the apps ship; the local runtime lives apart, in ``devstack``.
"""

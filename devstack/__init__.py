"""The local runtime: the Pulumi program under mocks, moto, and the apps served on loopback.
Never shipped in a Lambda package."""

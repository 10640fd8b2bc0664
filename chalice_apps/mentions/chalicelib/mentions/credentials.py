"""The MentionMind account key, read from its Secrets Manager secret (``{"api_key": "..."}``)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)
from botocore.exceptions import ClientError

from shared.errors import ConfigurationError, TransientError

# What Secrets Manager answers for a secret without a value (declared, never set) or none.
NOT_FOUND = "ResourceNotFoundException"


def mentionmind_api_key(provider: SecretsProvider, secret_name: str, max_age: int) -> str:
    """Raises:
    TransientError: Secrets Manager failed after retries.
    ConfigurationError: the secret has no value yet, is not JSON, or has no ``api_key``.
    """
    try:
        value = provider.get(secret_name, transform="json", max_age=max_age)
    except TransformParameterError as err:
        raise ConfigurationError(f"secret {secret_name} is not JSON") from err
    except GetParameterError as err:
        cause = err.__cause__ or err.__context__  # powertools raises inside its except
        if isinstance(cause, ClientError) and cause.response["Error"]["Code"] == NOT_FOUND:
            raise ConfigurationError(f"secret {secret_name} has no value: set it") from err
        raise TransientError(f"reading secret {secret_name} failed: {err}") from err
    if not isinstance(value, dict) or not value.get("api_key"):
        raise ConfigurationError(f'secret {secret_name} has no "api_key"')
    return str(value["api_key"])

"""YouTube's credentials, read from Secrets Manager: the Data API key for reads
(``{"api_key": "..."}``) and the OAuth2 refresh-token credentials for what needs a channel
owner's consent (``{"client_id", "client_secret", "refresh_token"}``, issued once by an
operator through Google's consent screen)."""

from __future__ import annotations

from typing import Any

import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)
from botocore.exceptions import ClientError

from chalicelib.trends.youtube import OAuthCredentials
from shared.errors import ConfigurationError, TransientError

# What Secrets Manager answers for a secret without a value (declared, never set) or none.
NOT_FOUND = "ResourceNotFoundException"


# Google's OAuth2 token endpoint (the refresh-token grant).
TOKEN_URI = "https://oauth2.googleapis.com/token"
# What the refresh token was granted for: uploads (part 2), nothing more.
OAUTH_SCOPES = ("https://www.googleapis.com/auth/youtube.upload",)
OAUTH_FIELDS = ("client_id", "client_secret", "refresh_token")


def _secret(provider: SecretsProvider, secret_name: str, max_age: int) -> dict[str, Any]:
    """Raises TransientError, ConfigurationError (no value yet, not a JSON object)."""
    try:
        value = provider.get(secret_name, transform="json", max_age=max_age)
    except TransformParameterError as err:
        raise ConfigurationError(f"secret {secret_name} is not JSON") from err
    except GetParameterError as err:
        cause = err.__cause__ or err.__context__  # powertools raises inside its except
        if isinstance(cause, ClientError) and cause.response["Error"]["Code"] == NOT_FOUND:
            raise ConfigurationError(f"secret {secret_name} has no value: set it") from err
        raise TransientError(f"reading secret {secret_name} failed: {err}") from err
    if not isinstance(value, dict):
        raise ConfigurationError(f"secret {secret_name} is not a JSON object")
    return value


def youtube_api_key(provider: SecretsProvider, secret_name: str, max_age: int) -> str:
    """Raises:
    TransientError: Secrets Manager failed after retries.
    ConfigurationError: the secret has no value yet, is not JSON, or has no ``api_key``.
    """
    value = _secret(provider, secret_name, max_age)
    if not value.get("api_key"):
        raise ConfigurationError(f'secret {secret_name} has no "api_key"')
    return str(value["api_key"])


def youtube_oauth(
    provider: SecretsProvider,
    secret_name: str,
    max_age: int,
    token_uri: str = TOKEN_URI,
    session: requests.Session | None = None,
) -> OAuthCredentials:
    """The refresh-token credentials of the secret, as google-auth keeps them (no access
    token yet: the first call obtains one).

    Raises:
        TransientError: Secrets Manager failed after retries.
        ConfigurationError: the secret has no value yet, or lacks one of ``OAUTH_FIELDS``.
    """
    from google.oauth2.credentials import Credentials

    value = _secret(provider, secret_name, max_age)
    missing = [name for name in OAUTH_FIELDS if not value.get(name)]
    if missing:
        raise ConfigurationError(f"secret {secret_name} lacks {', '.join(missing)}")
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=value["refresh_token"],
        token_uri=token_uri,
        client_id=value["client_id"],
        client_secret=value["client_secret"],
        scopes=list(OAUTH_SCOPES),
    )
    return OAuthCredentials(credentials, session)

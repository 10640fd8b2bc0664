"""The local media services moto lacks, as one front of the local AWS endpoint: Polly's
speech (``services/polly``), Bedrock Runtime's async invocations (``services/bedrock``) and
MediaConvert (``services/mediaconvert``). The stack and the tests build the endpoint with this
one function, so both run the same chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devstack.rest_service import LocalClients
from devstack.services.bedrock.async_invoke import bedrock_async_front
from devstack.services.mediaconvert.service import mediaconvert_front
from devstack.services.polly.service import polly_front

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def with_media_services(aws: WSGIApplication, endpoint: str) -> WSGIApplication:
    """``aws`` behind the three services; ``endpoint`` is the URL this chain is served at
    (their jobs write to S3, SNS and EventBridge through it)."""
    clients = LocalClients(endpoint)
    chain = mediaconvert_front(aws, clients, endpoint)
    return polly_front(bedrock_async_front(chain, clients), clients)

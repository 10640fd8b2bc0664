"""The chat history table (seed §4), keyed by the owner's ``sub``: a chat's header
(``chat#<chat id>``), its messages (``msg#<chat id>#<time>#<message id>``, so a prefix query
reads them oldest first) and cached query results (``cache#<dataset id>#<version>#<sha>``).
Every item carries its ``dataset_id``, so deleting a dataset removes its chats, messages
and cached results through the dataset index. The preferences table holds one item per
owner."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from chalicelib.csvchat.exceptions import ChatNotFoundError
from chalicelib.csvchat.models import Preferences
from shared.dynamo import aws_errors
from shared.errors import InvalidQueryError, ParameterProblem
from shared.page_token import decode_page_token, encode_page_token, invalid_token
from shared.query import checked_parameters

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DEFAULT_PAGE = 20
MAX_PAGE = 100


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints and floats, through nested values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _untoken(token: str, prefix: str) -> str:
    """The sort key a token continues from, if it is one of this listing's (``prefix``)."""
    key = decode_page_token(token).get("k")
    if not isinstance(key, str) or not key.startswith(prefix):
        raise invalid_token()
    return key


def cache_key(dataset_id: str, version: str, sql: str) -> str:
    return f"cache#{dataset_id}#{version}#{hashlib.sha256(sql.encode()).hexdigest()}"


class ChatStore:
    """Chats, messages and cached results of the chat history table; every call is for one
    owner, so another user's chat is simply not found."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def _call(self, what: str, call: Any, **kwargs: Any) -> Any:
        with aws_errors(what):
            return call(**kwargs)

    def create_chat(self, owner: str, chat_id: str, dataset_id: str, now: str) -> None:
        item = {"owner": owner, "item_key": f"chat#{chat_id}", "chat_id": chat_id}
        item |= {"dataset_id": dataset_id, "created_at": now}
        self._call("storing a chat", self._table.put_item, Item=item)

    def chat(self, owner: str, chat_id: str) -> dict[str, Any]:
        """The chat's header. Raises ChatNotFoundError (404) for anyone else's."""
        found = None
        if chat_id.isalnum():
            key = {"owner": owner, "item_key": f"chat#{chat_id}"}
            found = self._call("reading a chat", self._table.get_item, Key=key).get("Item")
        if found is None:
            raise ChatNotFoundError()
        return dict(found)

    def _page(self, owner: str, prefix: str, query: dict[str, str]) -> dict[str, Any]:
        params = checked_parameters(query, optional=("limit", "next"))
        try:
            limit = int(params.get("limit", DEFAULT_PAGE))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidQueryError([ParameterProblem("limit", f"must be 1 to {MAX_PAGE}")])
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("owner").eq(owner) & Key("item_key").begins_with(prefix),
            "Limit": limit,
        }
        if "next" in params:
            request["ExclusiveStartKey"] = {
                "owner": owner,
                "item_key": _untoken(params["next"], prefix),
            }
        page = self._call("reading the history", self._table.query, **request)
        last = page.get("LastEvaluatedKey")
        items = [
            {k: v for k, v in _plain(i).items() if k not in ("owner", "item_key")}
            for i in page.get("Items", [])
        ]
        following = encode_page_token({"k": str(last["item_key"])}) if last else None
        return {"items": items, "next": following}

    def chats(self, owner: str, query: dict[str, str]) -> dict[str, Any]:
        return self._page(owner, "chat#", query)

    def messages(self, owner: str, chat_id: str, query: dict[str, str]) -> dict[str, Any]:
        """The chat's messages, oldest first, a page at a time."""
        return self._page(owner, f"msg#{chat_id}#", query)

    def recent(self, owner: str, chat_id: str, count: int) -> list[dict[str, Any]]:
        """The last ``count`` messages, oldest first (the model's context)."""
        condition = Key("owner").eq(owner) & Key("item_key").begins_with(f"msg#{chat_id}#")
        page = self._call(
            "reading recent turns",
            self._table.query,
            KeyConditionExpression=condition,
            ScanIndexForward=False,
            Limit=count,
        )
        return [_plain(i) for i in reversed(page.get("Items", []))]

    def add_message(self, owner: str, chat_id: str, message: dict[str, Any]) -> None:
        key = f"msg#{chat_id}#{message['created_at']}#{message['message_id']}"
        item = json.loads(json.dumps(message), parse_float=Decimal)
        self._call(
            "storing a message",
            self._table.put_item,
            Item={**item, "owner": owner, "item_key": key},
        )

    def cached(self, owner: str, key: str) -> dict[str, Any] | None:
        """A cached result still fresh, else None."""
        found = self._call(
            "reading the cache", self._table.get_item, Key={"owner": owner, "item_key": key}
        ).get("Item")
        if found is None or float(found["expires_at"]) < self._clock():
            return None
        return dict(json.loads(str(found["result"])))

    def cache(
        self, owner: str, key: str, dataset_id: str, result: dict[str, Any], seconds: int
    ) -> None:
        item: dict[str, Any] = {"owner": owner, "item_key": key, "dataset_id": dataset_id}
        item |= {"result": json.dumps(result), "expires_at": int(self._clock()) + seconds}
        self._call("caching a result", self._table.put_item, Item=item)


class PreferenceStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, owner: str) -> Preferences:
        with aws_errors("reading preferences"):
            found = self._table.get_item(Key={"owner": owner}).get("Item") or {}
        return Preferences.model_validate({k: v for k, v in _plain(found).items() if k != "owner"})

    def put(self, owner: str, preferences: Preferences) -> Preferences:
        with aws_errors("storing preferences"):
            self._table.put_item(Item={"owner": owner, **preferences.model_dump()})
        return preferences

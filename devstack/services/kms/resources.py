"""KMS's resource types: keys get outputs in AWS's formats (key id, ARN); nothing local
encrypts with them."""

from __future__ import annotations

from typing import Any

from devstack.services.base import LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, short_id, with_name


def key_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    key_id = f"{short_id(name, 8)}-{short_id(name + 'k', 4)}-4a6b-8c9d-{short_id(name, 12)}"
    return key_id, with_name(name, inputs) | {
        "arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}",
        "keyId": key_id,
    }


TYPES = {
    "aws:kms/key:Key": LocalType(offline=key_outputs),
}

"""How settings reach a function: one validated model read from its environment.

The program sets each function's variables (their names in ``chalicelib/<system>/env.py``);
a function's ``wiring.py`` reads them once, as a pydantic model whose fields name their
variables (``Field(validation_alias=env.X)``) and say their types: a number is a number, a
JSON setting (``Json[...]``) is parsed and checked, an optional one has its default. A
misdeployed function then fails on its first call with every missing or invalid variable
named, instead of wherever a value is first used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import ConfigurationError

SettingsT = TypeVar("SettingsT", bound="FunctionSettings")


class FunctionSettings(BaseModel):
    """The base of a function's settings: immutable, and blind to the rest of the
    environment (Lambda's own variables, other functions' settings)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def from_environment(model: type[SettingsT], environ: Mapping[str, str] | None = None) -> SettingsT:
    """``model`` read from ``environ`` (the process's environment when None).

    Raises:
        ConfigurationError: variables are missing or invalid, each named with the reason
            (never its value: a variable may hold a secret's name or a URL with a token).
    """
    try:
        return model.model_validate(dict(os.environ if environ is None else environ))
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in err.errors(include_input=False)
        )
        raise ConfigurationError(f"{model.__name__} from the environment: {problems}") from None

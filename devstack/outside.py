"""Which outside APIs the local stack fakes and which it calls for real.

The fakes are the default. A service is called for real when its credentials are in the
environment ``make dev`` starts in; the stack then stores them in the secrets the functions
read (as an operator would in AWS), starts no fake for it and points nothing at one. Each
system's profile says which variables a service needs (``Fake.real_variables``); the README
lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, repr=False)
class RealServices:
    """The credentials of the services called for real, by the name stack.json gives their
    fakes: ``{"twilio": {"TWILIO_ACCOUNT_SID": ..., ...}}``. Never printed."""

    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a credential
        return f"RealServices(real={self.services()})"

    def services(self) -> list[str]:
        """The services called for real, by the name stack.json uses for their fakes."""
        return sorted(self.values)

    def get(self, service: str) -> Mapping[str, str] | None:
        """A service's variables, or None when it is faked."""
        return self.values.get(service)


def real_services(
    environ: Mapping[str, str], wanted: Mapping[str, tuple[str, ...]]
) -> RealServices:
    """The services of ``wanted`` (name -> the variables it needs) whose variables are all
    set in ``environ``.

    Raises:
        ValueError: some of a service's variables are set and others are not (it names the
            missing ones), since a half-configured real account cannot work.
    """
    chosen: dict[str, dict[str, str]] = {}
    for service, variables in wanted.items():
        values = {name: environ.get(name, "") for name in variables}
        missing = [name for name, value in values.items() if not value]
        if missing and len(missing) < len(variables):
            raise ValueError(f"a real {service} account needs {missing} too (or none of them set)")
        if not missing:
            chosen[service] = values
    return RealServices(chosen)

"""Shelter profile rules: which changes narrow whom a shelter accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .enums import LgbtqPolicy, SubstancePolicy

# Fields shelter staff keep true themselves; the rest (slug, operator, municipality, name,
# IVO licence) belong to an administrator.
PROFILE_FIELDS = (
    "accepts_women",
    "accepts_men",
    "lgbtq",
    "substance_use",
    "psychiatric",
    "pets",
    "max_boy_age",
    "staffed_around_clock",
    "staffed_hours",
    "languages",
    "nationwide",
    "intake_phone",
    "on_call_phones",
    "open_data",  # listed in the open directory (HSDS): a shelter may opt out
)

_LGBTQ_RANK = {LgbtqPolicy.NO: 0, LgbtqPolicy.AFTER_ASSESSMENT: 1, LgbtqPolicy.YES: 2}
_SUBSTANCE_RANK = {SubstancePolicy.NO: 0, SubstancePolicy.IF_DETOXIFIED: 1, SubstancePolicy.YES: 2}
_FLAGS = ("accepts_women", "accepts_men", "psychiatric", "pets", "nationwide")


def narrowed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The policy fields whose change makes the shelter accept fewer households."""
    out = []
    for name in _FLAGS:
        if name in after and before.get(name) and not after[name]:
            out.append(name)
    if "lgbtq" in after and _LGBTQ_RANK[after["lgbtq"]] < _LGBTQ_RANK[before["lgbtq"]]:
        out.append("lgbtq")
    if (
        "substance_use" in after
        and _SUBSTANCE_RANK[after["substance_use"]] < _SUBSTANCE_RANK[before["substance_use"]]
    ):
        out.append("substance_use")
    if "max_boy_age" in after:
        old, new = before.get("max_boy_age"), after["max_boy_age"]
        if new is not None and (old is None or new < old):
            out.append("max_boy_age")
    if "languages" in after and set(before.get("languages") or ()) - set(after["languages"]):
        out.append("languages")
    return out


@dataclass(frozen=True)
class NarrowingWarning:
    """A policy now accepts fewer households while `busy` units are occupied or held."""

    busy: int
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.busy} units are occupied or held; current placements and requests are not "
            f"affected. The change ({', '.join(self.fields)}) applies to new searches only."
        )

"""Presentation helpers shared by pages and API: local times, ages, labels for codes."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from flask_babel import format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .domain.clock import as_utc, utcnow

# Human text for match notes, near-miss reasons and enum values, in one table.
LABELS = {
    # why it matches
    "men_accepted": _l("Men accepted"),
    "lgbtq_yes": _l("LGBTQ persons accepted"),
    "lgbtq_after_assessment": _l("LGBTQ after assessment"),
    "substance_use_yes": _l("Substance use accepted"),
    "substance_use_if_detoxified": _l("Substance use if detoxified"),
    "psychiatric_yes": _l("Psychiatric needs accepted"),
    "boys_within_age_limit": _l("Boys within the age limit"),
    "language_spoken": _l("Language spoken"),
    "staffed_hours_only": _l("Staffed hours only, not around the clock"),
    "wheelchair_accessible": _l("Wheelchair accessible"),
    # why not
    "capacity": _l("No free unit"),
    "beds": _l("Too few beds for the household"),
    "unknown_vacancy": _l("Vacancies not confirmed in the last 24 hours"),
    "wheelchair": _l("Not wheelchair accessible"),
    "pets": _l("No pets"),
    "lgbtq": _l("Does not accept LGBTQ persons"),
    "substance_use": _l("Does not accept this substance use"),
    "psychiatric": _l("Does not accept psychiatric needs"),
    "boys_age": _l("Boys over the age limit"),
    "men": _l("Does not accept men"),
    "women": _l("Does not accept women"),
    "language": _l("Language not spoken"),
    "region": _l("Takes placements from its own county only"),
    # freshness
    "fresh": _l("Fresh"),
    "ageing": _l("Ageing"),
    "stale": _l("Stale"),
    "unknown": _l("Unknown"),
    # unit status
    "free": _l("Free"),
    "held": _l("Held"),
    "occupied": _l("Occupied"),
    "closed": _l("Closed"),
    # policies
    "yes": _l("Yes"),
    "no": _l("No"),
    "after_assessment": _l("After assessment"),
    "if_detoxified": _l("If detoxified"),
}


def label(code: object) -> str:
    """The user's-language text for a code; the code itself if it has none."""
    key = getattr(code, "value", code)
    text = LABELS.get(str(key))
    return str(text) if text is not None else str(key)


def localtime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC time shown in Europe/Stockholm."""
    return "" if value is None else format_datetime(as_utc(value), fmt)


def age(value: datetime | None, now: datetime | None = None) -> str:
    """'12 min' / '3 h' / '2 d' since `value` (language-neutral units)."""
    if value is None:
        return "—"
    minutes = int(((now or utcnow()) - as_utc(value)).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return ngettext("%(num)d min ago", "%(num)d min ago", max(minutes, 0))
    if minutes < 48 * 60:
        return ngettext("%(num)d hour ago", "%(num)d hours ago", minutes // 60)
    return ngettext("%(num)d day ago", "%(num)d days ago", minutes // 1440)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(localtime=localtime, age=age, label=label)
    app.jinja_env.globals.update(
        settings=lambda: current_app.config["SETTINGS"], get_locale=get_locale
    )

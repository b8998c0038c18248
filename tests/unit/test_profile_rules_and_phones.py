"""Pure rules of the admin issue: which profile changes narrow a shelter, phone parsing."""

from __future__ import annotations

import pytest

from shelterbeds.domain.enums import LgbtqPolicy, SubstancePolicy
from shelterbeds.domain.profile import narrowed
from shelterbeds.notifications.phones import to_e164 as normalise_phone
from shelterbeds.schemas.imports import parse_rows

BEFORE = {
    "accepts_women": True,
    "accepts_men": True,
    "lgbtq": LgbtqPolicy.AFTER_ASSESSMENT,
    "substance_use": SubstancePolicy.IF_DETOXIFIED,
    "psychiatric": False,
    "pets": True,
    "max_boy_age": 15,
    "languages": ["sv", "en"],
    "nationwide": True,
}


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"lgbtq": LgbtqPolicy.NO}, ["lgbtq"]),
        ({"lgbtq": LgbtqPolicy.YES}, []),
        ({"substance_use": SubstancePolicy.NO}, ["substance_use"]),
        ({"substance_use": SubstancePolicy.YES}, []),
        ({"pets": False, "accepts_men": False}, ["accepts_men", "pets"]),
        ({"psychiatric": True}, []),
        ({"max_boy_age": 12}, ["max_boy_age"]),
        ({"max_boy_age": None}, []),
        ({"max_boy_age": 17}, []),
        ({"languages": ["sv"]}, ["languages"]),
        ({"languages": ["sv", "en", "ar"]}, []),
        ({"nationwide": False}, ["nationwide"]),
        ({"staffed_hours": "Dygnet runt"}, []),
    ],
)
def test_narrowed(after, expected):
    assert narrowed(BEFORE, after) == expected


def test_a_first_boys_age_limit_narrows():
    assert narrowed(BEFORE | {"max_boy_age": None}, {"max_boy_age": 17}) == ["max_boy_age"]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("070-174 06 05", "+46701740605"),
        ("0701740605", "+46701740605"),
        ("+46 70 174 06 05", "+46701740605"),
        ("0046701740605", "+46701740605"),
        ("08-123 456 78", "+46812345678"),
        ("+47 412 34 567", "+4741234567"),
    ],
)
def test_phone_numbers_are_normalised(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "ring mig", "070-174", "+46 70 174 06 05 55 55"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(raw)


def test_import_rows_accept_swedish_yes_and_no_and_skip_blank_lines():
    header = ["shelter_slug", "shelter_name", "operator", "municipality_code", "pets", "unit_label"]
    rows, problems = parse_rows(
        [
            header,
            ["a", "A", "op", "1880", "ja", ""],
            ["", "", "", "", "", ""],
            ["b", "B", "op", "1880", "Nej", "Rum 1"],
        ]  # fmt: skip
    )
    assert problems == []
    assert [(r.number, r.shelter["pets"], r.unit) for r in rows] == [
        (2, True, None),
        (
            4,
            False,
            {
                "label": "Rum 1",
                "adult_beds": 1,
                "child_beds": 0,
                "wheelchair_accessible": False,
                "pets_allowed": False,
            },
        ),  # fmt: skip
    ]

"""The search's query schema remembers what it loaded (schemas/vacancies.py): the same
parameters give the same query, and bad ones are refused every time, never remembered."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from shelterbeds.schemas.vacancies import VacancyQueryArgs, encode_cursor


def test_the_same_parameters_load_the_same_query_once():
    schema = VacancyQueryArgs()
    first = schema.load({"child_ages": "4,9", "child_sexes": "f,m", "municipality": "1880"})
    again = schema.load({"municipality": "1880", "child_sexes": "f,m", "child_ages": "4,9"})
    assert again is first  # remembered, whatever the order of the parameters
    other = schema.load({"child_ages": "4,9", "child_sexes": "f,m", "municipality": "1881"})
    assert other != first and other.municipality_code == "1881"


def test_bad_parameters_are_refused_every_time():
    schema = VacancyQueryArgs()
    for _ in range(2):
        with pytest.raises(ValidationError) as err:
            schema.load({"child_ages": "4,9", "child_sexes": "f"})
        assert "child_sexes" in err.value.messages
    assert len(schema._remembered) == 0


def test_a_remembered_search_still_refuses_another_searchs_cursor():
    schema = VacancyQueryArgs()
    mine = schema.load({"wheelchair": "1"})
    theirs = schema.load({"pets": "1"})
    assert schema.load({"wheelchair": "1", "cursor": encode_cursor(mine, 20)}).offset == 20
    with pytest.raises(ValidationError, match="another search"):
        schema.load({"wheelchair": "1", "cursor": encode_cursor(theirs, 20)})


def test_memory_is_bounded():
    schema = VacancyQueryArgs()
    for code in range(schema.MAX_REMEMBERED + 10):
        schema.load({"adults": "1", "limit": str(code % 100 + 1), "municipality": f"{code:04d}"})
    assert len(schema._remembered) == schema.MAX_REMEMBERED

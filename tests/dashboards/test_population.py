"""Managers keep the population figures behind the equality rates; small counts are suppressed."""

from __future__ import annotations

from typing import Any

import pytest

from amhp_hub.common.models import AuditEvent
from dashboards.models import PopulationEstimate
from dashboards.selectors import suppressed

pytestmark = pytest.mark.django_db


def test_a_manager_changes_the_population_figures_and_the_change_is_audited(client: Any, manager: Any) -> None:
    client.force_login(manager.user)
    assert client.get("/dashboards/population/").status_code == 200

    response = client.post(
        "/dashboards/population/",
        {"group_White": "400000", "group_Black": "50000", "group_Asian": "", "source": "ONS Census 2021, TS021"},
    )

    assert response.status_code == 302
    figures = dict(PopulationEstimate.objects.filter(service=manager.service).values_list("ethnic_group", "population"))
    assert figures == {"White": 400000, "Black": 50000}
    event = AuditEvent.objects.filter(object_type="population_estimate").get()
    assert event.changes["White"] == [None, 400000]
    assert 'value="400000"' in client.get("/dashboards/population/").content.decode()


def test_a_bad_population_figure_is_refused_and_what_was_typed_stays(client: Any, manager: Any) -> None:
    client.force_login(manager.user)
    response = client.post("/dashboards/population/", {"group_White": "lots", "group_Black": "50000"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter the White population as a whole number, for example 42000" in body
    assert 'value="lots"' in body and 'value="50000"' in body
    assert not PopulationEstimate.objects.exists()


def test_only_managers_change_population_figures(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    assert client.post("/dashboards/population/", {"group_White": "1"}).status_code == 403


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5), (120, 120)])
def test_counts_of_one_to_four_people_are_suppressed(count: int, shown: object) -> None:
    assert suppressed(count) == shown


def test_the_equality_table_shows_fewer_than_5_and_no_rate_for_small_groups(
    client: Any, manager: Any, amhp: Any, add_referral: Any, add_assessment: Any, make_person: Any
) -> None:
    import csv
    import io

    from django.utils import timezone

    now = timezone.now()
    PopulationEstimate.objects.create(service=manager.service, ethnic_group="White", population=100_000)
    PopulationEstimate.objects.create(service=manager.service, ethnic_group="Black", population=20_000)
    for _ in range(6):  # six White British people detained; two Black Caribbean people detained
        referral = add_referral(manager.service, now, person=make_person(manager.service, ethnicity="A"))
        add_assessment(amhp, referral=referral, status="completed", outcome="detained_s2")
    for _ in range(2):
        referral = add_referral(manager.service, now, person=make_person(manager.service, ethnicity="M"))
        add_assessment(amhp, referral=referral, status="completed", outcome="detained_s2")
    client.force_login(manager.user)

    rows = {r[0]: r for r in csv.reader(io.StringIO(client.get("/dashboards/equality.csv").content.decode()))}

    assert rows["White"][1:5] == ["6", "6", "100000", "6.0"]  # 6 / 100,000 x 100,000
    assert rows["Black"][1:6] == ["fewer than 5", "fewer than 5", "20000", "", ""]


def test_each_nhs_category_is_shown_beside_its_2021_census_category(
    client: Any, manager: Any, amhp: Any, add_referral: Any, add_assessment: Any, make_person: Any
) -> None:
    import csv
    import io

    from django.utils import timezone

    for _ in range(5):  # five Chinese people (NHS code R) detained: in the census's Asian group since 2021
        referral = add_referral(manager.service, timezone.now(), person=make_person(manager.service, ethnicity="R"))
        add_assessment(amhp, referral=referral, status="completed", outcome="detained_s3")
    client.force_login(manager.user)

    rows = list(csv.reader(io.StringIO(client.get("/dashboards/equality-categories.csv").content.decode())))
    chinese = next(r for r in rows if r[0] == "R")
    assert chinese == ["R", "Other Ethnic Groups - Chinese", "Asian, Asian British or Asian Welsh: Chinese", "5", "5"]
    groups = {r[0]: r for r in csv.reader(io.StringIO(client.get("/dashboards/equality.csv").content.decode()))}
    assert groups["Asian"][2] == "5" and groups["Other"][2] == "0"
    assert len(rows) == 1 + 18  # the header, the 16 NHS categories, "not stated" and "not known"

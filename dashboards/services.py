"""The dashboards' one write: the population figures a manager keeps for the equality rates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction

from amhp_hub.common.audit import audit, diff
from dashboards.models import POPULATION_GROUPS, PopulationEstimate


@transaction.atomic
def population_set(*, actor: Any, service_id: int, figures: Mapping[str, int | None], source: str) -> int:
    """Set the service's resident population of each broad ethnic group; a blank removes that group's figure.

    One audit row records the figures before and after. Return how many groups have a figure now.
    """
    before = dict(PopulationEstimate.objects.filter(service_id=service_id).values_list("ethnic_group", "population"))
    after = {group: figures[group] for group in POPULATION_GROUPS if figures.get(group) is not None}
    PopulationEstimate.objects.filter(service_id=service_id).exclude(ethnic_group__in=list(after)).delete()
    for group, population in after.items():
        PopulationEstimate.objects.update_or_create(
            service_id=service_id,
            ethnic_group=group,
            defaults={"population": cast(int, population), "source": source},  # blanks were dropped above
        )
    audit(
        actor=actor,
        service_id=service_id,
        action="update",
        object_type="population_estimate",
        changes=diff(before, after),
    )
    return len(after)

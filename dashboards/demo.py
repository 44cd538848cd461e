"""Demo population figures for the equality dashboard."""

from __future__ import annotations

from dashboards.models import PopulationEstimate
from rota.models import Service

# A city of about 600,000 people, shaped like the 2021 census of a large English city.
DEMO_POPULATION = {
    "White": 432_000,
    "Asian": 84_000,
    "Black": 42_000,
    "Mixed": 24_000,
    "Other": 18_000,
}


def seed_population(*, service: Service) -> list[PopulationEstimate]:
    """Create (or replace) SERVICE's population estimates by broad ethnic group."""
    PopulationEstimate.objects.filter(service=service).delete()
    return PopulationEstimate.objects.bulk_create(
        PopulationEstimate(service=service, ethnic_group=group, population=population, source="Demo figures")
        for group, population in DEMO_POPULATION.items()
    )

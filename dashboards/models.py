"""Denominators for the equality dashboard."""

from __future__ import annotations

from django.db import models

from referrals.constants import ETHNIC_GROUP

NOT_STATED_GROUP = "Not stated or not known"
# The broad groups that have a population denominator, in reporting order.
POPULATION_GROUPS = [group for group in dict.fromkeys(ETHNIC_GROUP.values()) if group != NOT_STATED_GROUP]


class PopulationEstimate(models.Model):
    """The resident population of one broad ethnic group in a service's area (e.g. from the 2021 census)."""

    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="population_estimates")
    ethnic_group = models.CharField(max_length=40, choices=[(group, group) for group in POPULATION_GROUPS])
    population = models.PositiveIntegerField()
    source = models.CharField(max_length=120, blank=True, help_text="For example: ONS Census 2021, table TS021")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "ethnic_group"], name="population_one_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.ethnic_group}: {self.population}"


class RollupCell(models.Model):
    """One count of a dashboard measure for one service and one Europe/London day.

    Measures: `arrival_hour` (referrals received, keyed by local hour "0".."23"), `outcome`
    (completed assessments of referrals received that day, keyed by outcome) and
    `delay_reason` (their delay reasons, keyed by reason) and `work_seconds` (seconds of their
    assessment work, keyed `total` and `after_5pm`). Written only by
    dashboards.rollups, which rebuilds whole days set-based, so re-running it is harmless.
    """

    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    measure = models.CharField(max_length=20)
    key = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "measure", "day", "key"], name="rollup_one_cell"),
        ]
        # A percentile reads only the minutes of a few hours of a histogram: a key range within a measure.
        indexes = [models.Index(fields=["service", "measure", "key", "day"], name="rollup_measure_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.key}: {self.count}"

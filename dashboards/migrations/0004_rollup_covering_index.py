"""A covering index for the dashboards' reads of the roll-up (PostgreSQL only).

Every dashboard sums cells of a few measures over a period: with ``count`` in the index those
sums are index-only scans, and a 90-day period at a million referrals a year reads tens of
thousands of cells without touching the table. SQLite has no INCLUDE, and its small tables do
not need it, so the index is made on PostgreSQL alone and is not part of the model's state.
"""

from django.db import migrations

INDEX = "rollup_day_cover"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON dashboards_rollupcell (service_id, measure, day, key) "
            "INCLUDE (count)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0003_rollup_measures")]

    operations = [migrations.RunPython(create, drop)]

"""An index of the roll-up's keys compared byte by byte, for the percentiles' key ranges (PostgreSQL only).

A percentile reads the minutes of a few hours of a histogram: key ranges within a measure, compared
with the "C" collation so that they order as Python orders the live cells' keys (rollups._bytewise).
An index on the plain column cannot serve a range in another collation, so without this one each range
was a filter over every cell of the period. With ``count`` included, each range is an index-only range
scan. SQLite compares text byte by byte already, and uses rollup_measure_key.
"""

from django.db import migrations

INDEX = "rollup_key_bytewise"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON dashboards_rollupcell (service_id, measure, (key COLLATE "C"), day) '
            "INCLUDE (count)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0004_rollup_covering_index")]

    operations = [migrations.RunPython(create, drop)]

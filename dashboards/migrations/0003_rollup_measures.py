"""Roll-up counts grow past 2**31 (work in microseconds); indexes for what the roll-up reads to find changed days."""

from django.db import migrations, models

INDEXES = [
    ("dash_request_service_updated", "assessments_caserequest", "service_id, updated_at"),
    ("dash_toil_service_created", "assessments_toilentry", "service_id, created_at"),
    ("dash_toil_service_decided", "assessments_toilentry", "service_id, decided_at"),
    ("dash_personhistory_changed", "referrals_personhistory", "changed_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_i13_rollups"),
        ("assessments", "0010_cto_agreement_learning_disability"),
        ("referrals", "0009_merge_i8_i12"),
    ]

    operations = [
        migrations.AlterField(model_name="rollupcell", name="key", field=models.CharField(max_length=64)),
        migrations.AlterField(model_name="rollupcell", name="count", field=models.PositiveBigIntegerField()),
        migrations.AddIndex(
            model_name="rollupcell",
            index=models.Index(fields=["service", "measure", "key", "day"], name="rollup_measure_key"),
        ),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, table, columns in INDEXES
        ],
    ]

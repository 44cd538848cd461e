"""PostgreSQL: the audit trail becomes a table partitioned by month (see amhp_hub.common.audit_partitions).

The rows move into the new parent, which keeps the columns, the indexes (by the same names), the
foreign keys and the append-only trigger. The primary key becomes (id, at), as PostgreSQL needs the
partition key in it; ids still come from one sequence, so they stay unique. SQLite is untouched.
"""

from datetime import date, timedelta

from django.db import migrations

from amhp_hub.common.audit_partitions import DEFAULT, PARENT, months

OLD = f"{PARENT}_unpartitioned"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            [PARENT, "%_pkey"],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [PARENT],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(f"SELECT min(at), max(at), coalesce(max(id), 0) FROM {PARENT}")
        first_at, last_at, last_id = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {PARENT} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {PARENT}_pkey TO {OLD}_pkey")
        for name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("CREATE SEQUENCE common_auditevent_id AS bigint")
        cursor.execute("SELECT setval('common_auditevent_id', %s, %s)", [max(last_id, 1), last_id > 0])
        cursor.execute(
            f"CREATE TABLE {PARENT} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE (at)"
        )
        cursor.execute(f"ALTER TABLE {PARENT} ALTER COLUMN id SET DEFAULT nextval('common_auditevent_id')")
        cursor.execute(f"ALTER SEQUENCE common_auditevent_id OWNED BY {PARENT}.id")
        cursor.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY (id, at)")
        cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT")
        today = date.today()
        start = min(first_at.date(), today) if first_at else today
        for month in months(start, today + timedelta(days=366)):
            lo, hi = month.bounds
            cursor.execute(f"CREATE TABLE {month.name} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)", [lo, hi])
        cursor.execute(f"INSERT INTO {PARENT} SELECT * FROM {OLD}")
        cursor.execute(f"DROP TABLE {OLD}")
        for _, definition in indexes:  # on the parent, so on every partition, present and future
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT {name} {definition}")
        cursor.execute(
            f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {PARENT} "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
        )


class Migration(migrations.Migration):
    # The rows are copied in one transaction with the swap: nothing is audited half-way.
    dependencies = [("common", "0003_i9_audit_append_only")]

    # Irreversible: going back would mean copying the rows again into one plain table.
    operations = [migrations.RunPython(forward)]

"""Database triggers that make the audit log append-only, on SQLite and PostgreSQL.

UPDATE is always rejected. DELETE is rejected for rows younger than 365 days, so only the
retention purge of old rows can remove any. On SQLite a flush (tests, development resets) may
empty the table: the trigger asks a function that Maillage registers on each connection
(maillage.privacy.audit); another client (the sqlite3 shell) lacks it and is refused.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER privacy_auditevent_no_update BEFORE UPDATE ON privacy_auditevent
    BEGIN SELECT RAISE(ABORT, 'privacy_auditevent is append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER privacy_auditevent_no_delete BEFORE DELETE ON privacy_auditevent
    WHEN old.at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-365 days')
         AND NOT maillage_audit_flush_allowed()
    BEGIN SELECT RAISE(ABORT, 'privacy_auditevent is append-only: DELETE refused'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_delete;",
]

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION privacy_auditevent_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '365 days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'privacy_auditevent is append-only: % refused', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER privacy_auditevent_append_only
    BEFORE UPDATE OR DELETE ON privacy_auditevent
    FOR EACH ROW EXECUTE FUNCTION privacy_auditevent_guard();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;",
    "DROP FUNCTION IF EXISTS privacy_auditevent_guard();",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

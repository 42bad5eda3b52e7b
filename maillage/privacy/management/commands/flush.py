"""Django's ``flush``, allowed to empty the audit log too.

Flushing deliberately empties the whole database (test isolation, a development reset); the
SQLite trigger that protects young audit events asks whether a flush is running. PostgreSQL
flushes with TRUNCATE, which the row triggers do not see.
"""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from maillage.privacy.audit import flush_allowed


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with flush_allowed():
            super().handle(**options)

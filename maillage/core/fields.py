"""Model fields shared by several apps."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class JSONTextField(models.TextField):
    """A JSON value stored as its text, for values written and read whole, never queried into.

    ``JSONField`` is ``jsonb`` on PostgreSQL: every value is parsed into the binary form on
    write, which is worth it only to query inside. For the score details of the matching
    proposals (12,000 rows of ~600 bytes per run, produced as JSON text already) that parsing
    was half the cost of the write (COPY of one run: 0.16 s as jsonb, 0.075 s as text). On
    SQLite both are text. Reads give the decoded value, as ``JSONField`` does.
    """

    description = _("JSON (texte)")
    # For django-stubs: the attribute holds any JSON value, not a str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            raise ValidationError(_("JSON invalide."), code="invalid") from error

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata, backups) write the JSON text, not the Python repr.
        return json.dumps(self.value_from_object(obj))

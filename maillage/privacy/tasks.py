"""Background work of the privacy app, run by ``manage.py db_worker``."""

from typing import Any

from django_tasks import task

from . import services


@task()
def purge_expired() -> dict[str, Any]:
    """The retention purge (same as ``manage.py purge_expired``); returns its counts."""
    return services.purge_expired().as_dict()

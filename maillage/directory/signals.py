"""Keep the directory index in step with the profiles it is built from, synchronously.

Reindexing one person costs a handful of queries, so it happens in the same transaction as the
change: a withdrawn consent or a suspension disappears from search results at once. Bulk
writes (``bulk_create``, ``QuerySet.update``) send no signal: run ``rebuild_directory``.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete

from maillage.competences.models import Competence, Domain
from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson, ResourcePersonCompetence, User

from . import services

# Saving only these User fields changes nothing the directory shows (login, password change).
_IRRELEVANT_USER_FIELDS = frozenset({"last_login", "password"})


def _resource_person_saved(sender: Any, instance: ResourcePerson, raw: bool, **kwargs: Any) -> None:
    if not raw:
        services.index_resource_person(instance.pk)


def _competence_link_saved(
    sender: Any, instance: ResourcePersonCompetence, raw: bool, **kwargs: Any
) -> None:
    if not raw:
        services.index_resource_person(instance.resource_person_id)


def _competence_link_deleted(
    sender: Any, instance: ResourcePersonCompetence, origin: Any = None, **kwargs: Any
) -> None:
    # When a person (or their account) is deleted, the links go first and the person is
    # still there: reindexing then would leave rows pointing at a deleted person.
    model = getattr(origin, "model", type(origin))
    if origin is None or model is ResourcePersonCompetence:
        services.index_resource_person(instance.resource_person_id)


def _user_saved(sender: Any, instance: User, raw: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields and set(update_fields) <= _IRRELEVANT_USER_FIELDS):
        return
    services.index_resource_persons(services.persons_of_users([instance.pk]))


def _organisation_saved(sender: Any, instance: Organisation, raw: bool, **kwargs: Any) -> None:
    if not raw:
        services.index_resource_persons(services.persons_of_organisation(instance.pk))


def _organisation_deleting(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    # Members' organisation becomes NULL through an UPDATE that sends no signal: remember them.
    instance._directory_person_ids = services.persons_of_organisation(instance.pk)  # type: ignore[attr-defined]


def _organisation_deleted(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    services.index_resource_persons(getattr(instance, "_directory_person_ids", []))


def _competence_saved(sender: Any, instance: Competence, raw: bool, **kwargs: Any) -> None:
    if not raw:
        services.index_resource_persons(services.persons_with_competences([instance.pk]))


def _domain_saved(sender: Any, instance: Domain, raw: bool, **kwargs: Any) -> None:
    if not raw:
        competence_ids = instance.competences.values_list("pk", flat=True)
        services.index_resource_persons(services.persons_with_competences(competence_ids))


def connect() -> None:
    uid = "directory-index"
    post_save.connect(_resource_person_saved, sender=ResourcePerson, dispatch_uid=uid)
    post_save.connect(_competence_link_saved, sender=ResourcePersonCompetence, dispatch_uid=uid)
    post_delete.connect(_competence_link_deleted, sender=ResourcePersonCompetence, dispatch_uid=uid)
    post_save.connect(_user_saved, sender=User, dispatch_uid=uid)
    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid=uid)
    pre_delete.connect(_organisation_deleting, sender=Organisation, dispatch_uid=uid)
    post_delete.connect(_organisation_deleted, sender=Organisation, dispatch_uid=uid)
    post_save.connect(_competence_saved, sender=Competence, dispatch_uid=uid)
    post_save.connect(_domain_saved, sender=Domain, dispatch_uid=uid)

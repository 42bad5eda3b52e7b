"""The upload form. Fields in error carry aria-invalid and point to their message."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from maillage.core.forms import AccessibleForm

from . import services
from .models import ImportKind


class UploadForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("Que contient le fichier ?"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez ce que contient le fichier.")},
    )
    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_(
            "Première ligne : les en-têtes de colonnes (voir les modèles). CSV séparé par des "
            "points-virgules ou des virgules, en UTF-8 ou Windows-1252."
        ),
        error_messages={
            "required": _("Choisissez le fichier à importer."),
            "empty": _("Le fichier envoyé est vide."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = services.max_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("Le fichier dépasse la taille maximale de %(max)s."),
                params={"max": filesizeformat(limit)},
                code="too_large",
            )
        return upload

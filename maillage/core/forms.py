"""Form behaviour shared by every app."""

from django import forms


class AccessibleForm(forms.Form):
    """Fields in error carry aria-invalid and point to their message (and help text)."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                # auto_id, as the templates name "<auto_id>_error": id_for_label is empty for
                # radio buttons and names the first box of a checkbox list.
                field_id = self[name].auto_id
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                described = [f"{field_id}_error"]
                if self.fields[name].help_text:
                    described.insert(0, f"{field_id}_helptext")
                attrs["aria-describedby"] = " ".join(described)

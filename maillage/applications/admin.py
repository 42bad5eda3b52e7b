from django.contrib import admin

from .models import Application, ApplicationEvent, Attachment, EmployerApproval


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    raw_id_fields = ["actor"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = readonly_fields = ("original_name", "kind", "size", "uploaded_at")
    can_delete = False


class EmployerApprovalInline(admin.TabularInline):
    model = EmployerApproval
    extra = 0
    fields = readonly_fields = (
        "signatory_name",
        "signatory_email",
        "sent_at",
        "expires_at",
        "invalidated_at",
        "decision",
        "decided_at",
        "comment",
    )
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "applicant", "organisation", "state", "submitted_at"]
    list_filter = ["call", "state"]
    search_fields = ["reference", "applicant__email", "applicant__last_name", "organisation__name"]
    raw_id_fields = ["applicant", "organisation", "proposed_resource_person"]
    filter_horizontal = ["competences"]
    list_select_related = ["call", "applicant", "organisation"]
    inlines = [ApplicationEventInline, EmployerApprovalInline, AttachmentInline]

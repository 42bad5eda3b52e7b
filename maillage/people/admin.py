from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ResourcePerson, ResourcePersonCompetence, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "first_name", "last_name", "organisation", "is_active"]
    list_filter = ["is_active", "is_staff", "role_grants__role", "employment_status"]
    search_fields = ["email", "first_name", "last_name", "organisation__name"]
    raw_id_fields = ["organisation"]
    inlines = [RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Identité"),
            {"fields": ("first_name", "last_name", "phone", "gender")},
        ),
        (_("Emploi"), {"fields": ("organisation", "job_title", "employment_status")}),
        (
            _("Droits"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )


class ResourcePersonCompetenceInline(admin.TabularInline):
    model = ResourcePersonCompetence
    extra = 1
    raw_id_fields = ["competence"]


@admin.register(ResourcePerson)
class ResourcePersonAdmin(admin.ModelAdmin):
    list_display = ["user", "commune", "status", "consent_directory", "accepts_matching"]
    list_filter = ["status", "consent_directory", "commune__departement"]
    search_fields = ["user__email", "user__last_name", "user__first_name"]
    raw_id_fields = ["user", "commune", "validated_by"]
    list_select_related = ["user", "commune"]
    inlines = [ResourcePersonCompetenceInline]

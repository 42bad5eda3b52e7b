from django.contrib import admin

from .models import (
    CommitteeSession,
    ConflictDeclaration,
    Criterion,
    DecisionEmailTemplate,
    ReviewAssignment,
    Score,
    ScoringGrid,
    SessionItem,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ScoringGrid)
class ScoringGridAdmin(admin.ModelAdmin):
    list_display = ["call", "updated_at"]
    inlines = [CriterionInline]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0


class ConflictInline(admin.StackedInline):
    model = ConflictDeclaration
    extra = 0


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "assigned_at", "submitted_at"]
    list_filter = ["application__call"]
    raw_id_fields = ["application", "reviewer", "assigned_by"]
    inlines = [ConflictInline, ScoreInline]


class SessionItemInline(admin.TabularInline):
    model = SessionItem
    extra = 0
    raw_id_fields = ["application"]


@admin.register(CommitteeSession)
class CommitteeSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "call", "date", "locked_at"]
    list_filter = ["call"]
    raw_id_fields = ["created_by", "locked_by"]
    inlines = [SessionItemInline]


@admin.register(DecisionEmailTemplate)
class DecisionEmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["outcome", "subject", "updated_at"]
    raw_id_fields = ["updated_by"]

from django.contrib import admin

from .models import MatchingRun, MatchingSettings, MentorInvitation, PairRule, Proposal


@admin.register(MatchingSettings)
class MatchingSettingsAdmin(admin.ModelAdmin):
    list_display = ["programme", "competence_exact", "proposed", "updated_at"]


@admin.register(MatchingRun)
class MatchingRunAdmin(admin.ModelAdmin):
    list_display = ["call", "created_at", "created_by", "total_score", "upper_bound", "optimal"]
    list_filter = ["call"]
    raw_id_fields = ["created_by"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["application", "resource_person", "rank", "score", "status", "run"]
    list_filter = ["status", "run__call"]
    raw_id_fields = ["run", "application", "resource_person"]


@admin.register(PairRule)
class PairRuleAdmin(admin.ModelAdmin):
    list_display = ["application", "resource_person", "kind", "created_by", "created_at"]
    list_filter = ["kind", "call"]
    raw_id_fields = ["application", "resource_person", "created_by"]


@admin.register(MentorInvitation)
class MentorInvitationAdmin(admin.ModelAdmin):
    list_display = ["proposal", "sent_at", "expires_at", "decision", "decided_at"]
    list_filter = ["decision"]
    raw_id_fields = ["proposal"]
    readonly_fields = ["token_hash"]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from foreignpolicy.admin import RecordAdmin, VocabularyAdmin

from .models import RELATIONS, Agreement, AgreementStatus, AgreementType
from .resources import AgreementResource


@admin.register(AgreementType)
class AgreementTypeAdmin(VocabularyAdmin):
    pass


@admin.register(AgreementStatus)
class AgreementStatusAdmin(admin.ModelAdmin):
    list_display = ["name_es", "name_en", "code"]
    fields = ["code", ("name_es", "name_en"), "position"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    resource_classes = [AgreementResource]
    list_display = ["title", "status", "signed", "in_force"]
    list_filter = ["is_published", "status", "type", "directorate", "topics", "signed_on", "in_force_on"]
    list_select_related = ["type", "status"]
    search_fields = ["title_en", "title_es", "short_title", "slug", "summary_en", "summary_es", "archive_code"]
    autocomplete_fields = [
        "type",
        "directorate",
        "countries",
        "organisations",
        "topics",
        *(relation.field for relation in RELATIONS),
    ]
    date_hierarchy = "signed_on"

    @admin.display(description=_("signed"), ordering="signed_on")
    def signed(self, agreement):
        return agreement.signed or "—"  # at its precision, as the public site shows it

    @admin.display(description=_("in force since"), ordering="in_force_on")
    def in_force(self, agreement):
        return agreement.in_force or "—"

    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("title_es", "title_en"),
                    ("short_title", "slug"),
                    ("type", "status"),
                    ("is_published", "publish_at"),
                ]
            },
        ),
        (_("Parties"), {"fields": ["countries", "organisations", "directorate", "topics"]}),
        (
            _("Milestones"),
            {
                "fields": [
                    ("signed_on", "signed_on_precision"),
                    ("in_force_on", "in_force_on_precision"),
                    ("ended_on", "ended_on_precision"),
                ],
                "description": _(
                    "A date known only to the year or month: enter its first day and choose the precision."
                ),
            },
        ),
        (_("Texts"), {"fields": [("summary_es", "summary_en"), "source_url"]}),
        (
            _("Related agreements"),
            {
                "fields": [("amends", "replaces"), ("protocol_to", "implements"), ("deepens", "succeeds")],
                "description": _(
                    "Enter a relation on the agreement that does the relating (the amendment, the protocol, the "
                    "successor); the other agreement's page shows it from its side."
                ),
            },
        ),
        (
            _("References"),
            {
                "fields": [
                    ("depositary_es", "depositary_en"),
                    ("unts_number", "wto_rta_id"),
                    ("aladi_number", "archive_code"),
                ]
            },
        ),
    ]

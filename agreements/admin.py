from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from foreignpolicy.admin import RecordAdmin, VocabularyAdmin

from .models import (
    MARKED_DATES,
    RELATIONS,
    Agreement,
    AgreementStatus,
    AgreementType,
    Participant,
    Step,
    StepKind,
    dates_from_steps,
)
from .resources import AgreementResource, ParticipantResource, StepResource


@admin.register(AgreementType)
class AgreementTypeAdmin(VocabularyAdmin):
    pass


@admin.register(StepKind)
class StepKindAdmin(VocabularyAdmin):
    list_display = [*VocabularyAdmin.list_display, "marks"]
    fields = [*VocabularyAdmin.fields, "marks", "spellings"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["kind", "date", "date_precision", "reference", "url", "note_es", "note_en"]
    autocomplete_fields = ["kind"]
    formfield_overrides = RecordAdmin.formfield_overrides


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = [
        "country",
        "organisation",
        "signed_on",
        "signed_on_precision",
        "consent_on",
        "consent_on_precision",
        "consent_kind",
        "in_force_on",
        "in_force_on_precision",
        "withdrawn_on",
        "withdrawn_on_precision",
    ]
    autocomplete_fields = ["country", "organisation"]


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
    resource_classes = [AgreementResource, StepResource, ParticipantResource]
    inlines = [StepInline, ParticipantInline]
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

    def save_related(self, request, form, formsets, change):
        """The steps that mark a date of the agreement set it (README, "Steps")."""
        super().save_related(request, form, formsets, change)
        agreement = form.instance
        dates = dates_from_steps(agreement.steps.select_related("kind"))
        dated = any(getattr(agreement, MARKED_DATES[field]) != date for field, date in dates.items())
        if dated:
            for field, date in dates.items():
                setattr(agreement, MARKED_DATES[field], date)
            messages.info(request, _("The dates the steps mark were set from them."))
        if dated or any(formset.has_changed() for formset in formsets):
            agreement.save()  # its dates, and the search text of its steps' references

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
                    "A date known only to the year or month: enter its first day and choose the precision. "
                    "A step of signature, entry into force or end (below) sets its date here."
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

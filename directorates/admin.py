from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from foreignpolicy.admin import RecordAdmin, RecordForm

from .models import Directorate, closes_a_cycle
from .resources import DirectorateResource


class DirectorateForm(RecordForm):
    class Meta:
        model = Directorate
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose the fields

    def clean_predecessors(self):
        predecessors = self.cleaned_data.get("predecessors")
        if self.instance.pk and predecessors and any(unit.pk == self.instance.pk for unit in predecessors):
            raise forms.ValidationError(_("A directorate cannot carry on from itself."))
        return predecessors

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk:
            parent_of = dict(Directorate.objects.values_list("pk", "parent_id"))
            if closes_a_cycle(self.instance.pk, parent.pk, parent_of):
                raise forms.ValidationError(_("This would make the directorate part of itself."))
        return parent


@admin.register(Directorate)
class DirectorateAdmin(RecordAdmin):
    resource_classes = [DirectorateResource]
    form = DirectorateForm
    list_display = ["title", "acronym", "parent", "position"]
    list_filter = ["is_published", "parent", "topics"]
    list_select_related = ["parent"]
    search_fields = ["name_en", "name_es", "acronym", "slug", "summary_en", "summary_es"]
    autocomplete_fields = ["parent", "topics", "predecessors"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("name_es", "name_en"),
                    ("acronym", "slug"),
                    ("parent", "position"),
                    ("is_published", "publish_at"),
                ]
            },
        ),
        (_("Texts"), {"fields": [("summary_es", "summary_en"), ("body_es", "body_en")]}),
        (_("Topics"), {"fields": ["topics"]}),
        (
            _("Over time"),
            {
                "fields": [
                    "predecessors",
                    ("formed_on", "formed_on_precision"),
                    ("dissolved_on", "dissolved_on_precision"),
                ],
                "description": _(
                    "A renamed, merged or split unit: enter the units it carries on from on the new unit. Agreements "
                    "and events keep the unit responsible at the time; their pages name the unit that carries on its "
                    "work."
                ),
            },
        ),
    ]

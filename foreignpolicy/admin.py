"""The admin shared by the three apps: who changed what, publishing in bulk, and the
reference vocabularies."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .admin_files import FileImportExportMixin
from .importing import describe_changes
from .models import Country, ImportRecord, Organisation, Topic, slug_from_titles

admin.site.site_header = _("foreignpolicy — Ministry of Foreign Affairs of Peru")
admin.site.site_title = _("foreignpolicy administration")
admin.site.index_title = _("Content")


class RecordForm(forms.ModelForm):
    """An empty slug is derived from the title, by the same rule as an import."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Left empty, it is made from the English title, or else the Spanish one.")

    def clean_slug(self):
        model = self._meta.model
        slug = self.cleaned_data.get("slug") or slug_from_titles(
            model, [self.data.get(f"{model.title_field}_en"), self.data.get(f"{model.title_field}_es")]
        )
        if not slug:
            raise ValidationError(_("Give a title, or a slug."))
        if self._meta.model.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("“%(slug)s” is the slug of another record; choose another.") % {"slug": slug})
        return slug


class RecordAdmin(FileImportExportMixin, admin.ModelAdmin):
    """Admin behaviour every record kind shares."""

    form = RecordForm

    actions = ["publish", "unpublish"]
    object_history_template = "admin/foreignpolicy/object_history.html"
    list_per_page = 50
    save_on_top = True
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_prepopulated_fields(self, request, obj=None):
        # Prepopulation joins every listed field, so it follows the English title only; an
        # empty slug is derived on save from whichever title there is (RecordForm).
        return {"slug": (f"{self.model.title_field}_en",)}

    def construct_change_message(self, request, form, formsets, add=False):
        # Django records which fields changed; staff auditing a record want the values.
        if add or not form.changed_data:
            return super().construct_change_message(request, form, formsets, add)
        changes = [
            (name, display(initial_value(form, name)), display(form.cleaned_data.get(name)))
            for name in form.changed_data
        ]
        return describe_changes(changes)

    @admin.action(description=_("Publish the selected records"), permissions=["change"])
    def publish(self, request, queryset):
        self.set_published(request, queryset, True)

    @admin.action(description=_("Return the selected records to draft"), permissions=["change"])
    def unpublish(self, request, queryset):
        self.set_published(request, queryset, False)

    def set_published(self, request, queryset, published):
        records = list(queryset.exclude(is_published=published))
        queryset.filter(pk__in=[record.pk for record in records]).update(is_published=published)
        message = gettext("published: no → yes.") if published else gettext("published: yes → no.")
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type_id=ContentType.objects.get_for_model(self.model).pk,
                object_id=str(record.pk),
                object_repr=str(record)[:200],
                action_flag=CHANGE,
                change_message=message,
            )
            for record in records
        )
        self.message_user(
            request,
            ngettext("%(count)d record changed.", "%(count)d records changed.", len(records)) % {"count": len(records)},
            messages.SUCCESS,
        )

    @admin.display(description=_("published"), boolean=True, ordering="is_published")
    def published(self, obj):
        return obj.is_published


def initial_value(form, name):
    value = form.initial.get(name)
    field = form.fields.get(name)
    # A form's initial foreign key is a bare primary key; the history should name the record.
    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
        try:
            return field.to_python(value)
        except ValidationError:
            return value
    return value


def display(value):
    if isinstance(value, (list, tuple, set, QuerySet)):
        return "; ".join(sorted(str(item) for item in value))
    return "" if value is None else str(value)


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_es", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name_en", "name_es", "slug"]
    prepopulated_fields = {"slug": ("name_en",)}
    fields = [("name_en", "name_es"), "slug", "position"]


@admin.register(Topic)
class TopicAdmin(VocabularyAdmin):
    pass


@admin.register(Organisation)
class OrganisationAdmin(VocabularyAdmin):
    list_display = ["name_en", "name_es", "acronym_en", "acronym_es", "slug"]
    list_editable = []
    search_fields = ["name_en", "name_es", "acronym_en", "acronym_es", "slug"]
    fields = [("name_en", "name_es"), ("acronym_en", "acronym_es"), "slug", "position"]


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_es", "code", "alpha3"]
    search_fields = ["name_en", "name_es", "code", "alpha3"]
    fields = [("name_en", "name_es"), ("code", "alpha3"), "other_names"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "alpha3"] if obj else []


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    list_display = ["__str__", "content_type", "user", "imported_at", "created", "updated", "unchanged", "drafts"]
    list_filter = ["content_type", "user", "imported_at"]
    search_fields = ["file_name", "user__username"]
    date_hierarchy = "imported_at"
    list_select_related = ["content_type", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

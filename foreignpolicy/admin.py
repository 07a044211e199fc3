"""The admin shared by the three apps: who changed what, publishing in bulk, and the
reference vocabularies."""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from reversion.models import Version

from . import jobs
from .admin_files import FileImportExportMixin
from .columns import TextWidget
from .imports.undo import refusal_for, undo_import
from .models import (
    Country,
    FileJob,
    ImportRecord,
    Organisation,
    RevisionSource,
    Topic,
    may_publish,
    public_condition,
    slug_from_titles,
)
from .page_cache import public_content_changed
from .registry import RECORDS, resource_for, resource_for_import, resource_for_model
from .revisions import (
    Names,
    current_data,
    current_parts,
    differences,
    local_time,
    part_differences,
    parts_of_versions,
    record_revision,
    recording,
    restore,
)
from .tasks import start

admin.site.index_title = _("Content")

HISTORY_PER_PAGE = 50
# What a list action did, to "1 agreement", "3 acuerdos" (worded to fit either number and gender).
PUBLISHED = _("Now on the public site: %(records)s.")
WITHDRAWN = _("Back to draft, with a notice at their address that they were withdrawn: %(records)s.")
REMOVED = _("Off the public site, with no notice left: %(records)s.")
ONLY_PUBLISHERS = _("This record is published: only a publisher can change or delete it.")


def counted(model, count):
    """ "1 agreement", "3 agreements": the model's names, in the staff member's language."""
    name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    return f"{count} {name}"


class RecordForm(forms.ModelForm):
    """An empty slug is derived from the title, and text is checked, by the same rules as
    an import. (Not prepopulated as typed: the admin's script merges words around a dash.)"""

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

    def clean(self):
        cleaned = super().clean()
        for column in resource_for_model(self._meta.model).get_import_fields():
            text = cleaned.get(column.attribute)
            if isinstance(column.widget, TextWidget) and text and (problem := column.widget.markup_problem(text)):
                self.add_error(column.attribute, problem)
        return cleaned


class RecordAdmin(FileImportExportMixin, admin.ModelAdmin):
    """Admin behaviour every record kind shares."""

    form = RecordForm

    actions = ["publish", "unpublish", "remove_from_public"]
    object_history_template = "admin/foreignpolicy/object_history.html"
    list_per_page = 50
    save_on_top = True
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_list_display(self, request):
        # What an editor scans a list for, narrow enough for the admin's middle column; the
        # rest (who changed or published it, types, places) are filters.
        return [*super().get_list_display(request), "publication"]

    @admin.display(description=_("title"))
    def title(self, record):
        """In the staff member's language, or the other when it has none; a short title after it."""
        title = getattr(record, self.model.title_field)
        short = getattr(record, "short_title", "")
        return f"{title} ({short})" if short else title

    @admin.display(description=_("publication"), ordering="is_published")
    def publication(self, record):
        if record.is_scheduled:
            moment = date_format(timezone.localtime(record.publish_at), "SHORT_DATETIME_FORMAT")
            return gettext("scheduled: %(moment)s") % {"moment": moment}
        if record.is_published:
            return gettext("published")
        return gettext("withdrawn") if record.withdrawn_at else gettext("draft")

    def get_list_filter(self, request):
        editors = admin.RelatedOnlyFieldListFilter
        return [*super().get_list_filter(request), ("changed_by", editors), ("published_by", editors)]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by", "published_by")

    def has_publish_permission(self, request, obj=None):
        return may_publish(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        # An editor's change to a published record would go public unreviewed.
        return super().has_change_permission(request, obj) and self.may_alter(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.may_alter(request, obj)

    def may_alter(self, request, obj):
        return obj is None or not obj.is_published or self.has_publish_permission(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if self.has_publish_permission(request) else [*readonly, "is_published", "publish_at"]

    def refused_as_published(self, request, record):
        """Whether the only thing keeping this staff member from changing or deleting the
        record is that it is published (an editor's case)."""
        return super().has_change_permission(request, record) and not self.may_alter(request, record)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.refused_as_published(request, obj):
            self.message_user(request, ONLY_PUBLISHERS, messages.WARNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except PermissionDenied:
            return self.refusal_as_published(request, object_id)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except PermissionDenied:
            return self.refusal_as_published(request, object_id)

    def refusal_as_published(self, request, object_id):
        """Said, not a bare 403, when the record is refused for being published: the form
        was shown read-only and offered neither saving nor deleting."""
        record = self.get_object(request, unquote(object_id))
        if record is None or not self.refused_as_published(request, record):
            raise PermissionDenied
        self.message_user(request, ONLY_PUBLISHERS, messages.ERROR)
        return HttpResponseRedirect(reverse(self.admin_url("change"), args=[record.pk]))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with recording(request.user, RevisionSource.How.FORM):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        obj.changed_by = request.user
        if obj.is_published and (not change or "is_published" in form.changed_data):
            obj.published_by, obj.published_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
        for field, message in obj.validation_warnings().items():
            label = form.fields[field].label if field in form.fields else field
            messages.warning(request, f"{label}: {message}")

    @admin.action(description=_("Publish the selected records"), permissions=["publish"])
    def publish(self, request, queryset):
        now = timezone.now()
        records = queryset.exclude(is_published=True)
        changes = {"is_published": True, "published_by": request.user, "published_at": now, "withdrawn_at": None}
        self.change_publication(request, records, changes, RevisionSource.How.PUBLISH, now, PUBLISHED)

    @admin.action(description=_("Return the selected records to draft"), permissions=["publish"])
    def unpublish(self, request, queryset):
        now = timezone.now()
        records = queryset.filter(is_published=True)
        # Those the public could see leave a notice at their address (HTTP 410).
        records.filter(public_condition()).update(withdrawn_at=now)
        self.change_publication(request, records, {"is_published": False}, RevisionSource.How.UNPUBLISH, now, WITHDRAWN)

    @admin.action(
        description=_("Remove the selected records from the public site, leaving no notice"), permissions=["publish"]
    )
    def remove_from_public(self, request, queryset):
        records = queryset.filter(Q(is_published=True) | Q(withdrawn_at__isnull=False))
        changes = {"is_published": False, "withdrawn_at": None}
        self.change_publication(request, records, changes, RevisionSource.How.UNPUBLISH, timezone.now(), REMOVED)

    def change_publication(self, request, records, changes, how, now, done):
        """Apply `changes` to `records`, and say what was `done` (PUBLISHED, …) to how many."""
        pks = list(records.values_list("pk", flat=True))
        if not pks:
            self.message_user(request, gettext("Nothing changed: the selected records already were so."), messages.INFO)
            return
        # updated_at too: the sitemap's lastmod and undoing an import rely on it.
        self.model.objects.filter(pk__in=pks).update(**changes, updated_at=now, changed_by=request.user)
        public_content_changed()  # an update sends no signals
        record_revision(self.model, pks, user=request.user, how=how)
        self.message_user(request, done % {"records": counted(self.model, len(pks))}, messages.SUCCESS)

    @admin.display(description=_("published"), boolean=True, ordering="is_published")
    def published(self, obj):
        return obj.is_published

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/compare/",
                view(self.compare_view),
                name=f"{prefix}_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                view(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        record = self.viewed_record(request, object_id)
        versions = revisions_of(record)
        page = Paginator(versions, HISTORY_PER_PAGE).get_page(request.GET.get("p"))
        shown = list(page.object_list)
        # Each revision is compared with the one before it, the last shown's on the next page.
        predecessors = [*shown[1:], versions.filter(pk__lt=shown[-1].pk).first()] if shown else []
        names = Names()
        parts = parts_of_versions(self.model, [*shown, *predecessors[-1:]])
        # (revision, what it changed, or None for the record's first, whether it is the latest)
        entries = [
            (
                version,
                changes(self.model, previous, version, parts, names) if previous else None,
                page.number == 1 and number == 0,
            )
            for number, (version, previous) in enumerate(zip(shown, predecessors, strict=True))
        ]
        context = {
            **self.revision_context(request, record, gettext("History of %(record)s")),
            "page": page,
            "entries": entries,
            "can_restore": self.has_change_permission(request, record),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)

    def compare_view(self, request, object_id):
        record = self.viewed_record(request, object_id)
        versions = revisions_of(record)
        chosen = sorted(
            versions.filter(pk__in=[value for value in request.GET.getlist("revision") if value.isdigit()]),
            key=lambda version: version.pk,
        )
        if len(chosen) != 2:
            self.message_user(request, gettext("Choose two revisions to compare."), messages.WARNING)
            return HttpResponseRedirect(reverse(self.admin_url("history"), args=[record.pk]))
        before, after = chosen
        context = {
            **self.revision_context(request, record, gettext("Changes to %(record)s")),
            "before": before,
            "after": after,
            "differences": changes(self.model, before, after, parts_of_versions(self.model, chosen), Names()),
        }
        return TemplateResponse(request, "admin/foreignpolicy/revision_compare.html", context)

    def restore_view(self, request, object_id, version_id):
        record = self.viewed_record(request, object_id)
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        version = get_object_or_404(revisions_of(record), pk=version_id)
        if request.method == "POST":
            try:
                restored, notes = restore(version, request.user)
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(record)s is again as it was on %(date)s; it stays %(state)s.")
                    % {
                        "record": restored,
                        "date": local_time(version.revision.date_created),
                        "state": gettext("published") if restored.is_published else gettext("a draft"),
                    },
                    messages.SUCCESS,
                )
                for note in notes:
                    self.message_user(request, note, messages.WARNING)
                return HttpResponseRedirect(reverse(self.admin_url("history"), args=[record.pk]))
        context = {
            **self.revision_context(request, record, gettext("Restore %(record)s")),
            "version": version,
            "differences": [
                *differences(self.model, current_data(record), version.field_dict),
                *part_differences(
                    self.model, current_parts(record), parts_of_versions(self.model, [version])[version.pk], Names()
                ),
            ],
        }
        return TemplateResponse(request, "admin/foreignpolicy/revision_restore.html", context)

    def revision_context(self, request, record, title):
        """What the history, compare and restore pages share; `title` names the record."""
        return {
            **self.admin_site.each_context(request),
            "title": title % {"record": record},
            "opts": self.opts,
            "object": record,
        }

    def viewed_record(self, request, object_id):
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404(gettext("No such record."))
        if not self.has_view_or_change_permission(request, record):
            raise PermissionDenied
        return record

    def admin_url(self, view):
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"


def changes(model, before, after, parts, names):
    """How the record differs between two of its versions, its parts (`parts`, by version) included."""
    return [
        *differences(model, before.field_dict, after.field_dict, names),
        *part_differences(model, parts[before.pk], parts[after.pk], names),
    ]


def revisions_of(record):
    """A record's revisions, newest first, with what their pages show of each."""
    return Version.objects.get_for_object(record).select_related(
        "revision__user", "revision__source__import_record", "revision__source__restored"
    )


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


class RecordKindFilter(admin.RelatedFieldListFilter):
    """The kinds of record imported: the three, by their names, not every content type."""

    def field_choices(self, field, request, model_admin):
        kinds = [resource_for(kind)._meta.model for kind in RECORDS]
        return [
            (ContentType.objects.get_for_model(model).pk, capfirst(model._meta.verbose_name_plural)) for model in kinds
        ]


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "record_kind",
        "user",
        "imported_at",
        "created",
        "updated",
        "unchanged",
        "drafts",
        "deleted",
        "undo_state",
    ]
    exclude = ["undo_data"]
    change_form_template = "admin/foreignpolicy/importrecord_change_form.html"
    change_list_template = "admin/foreignpolicy/importrecord_change_list.html"
    list_filter = [("content_type", RecordKindFilter), "user", "imported_at"]
    search_fields = ["file_name", "user__username"]
    date_hierarchy = "imported_at"
    list_select_related = ["content_type", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("undone_by", "undoes").defer("undo_data")

    @admin.display(description=_("kind of record"), ordering="content_type")
    def record_kind(self, record):
        return capfirst(record.content_type.model_class()._meta.verbose_name_plural)

    @admin.display(description=_("undo"))
    def undo_state(self, record):
        if record.undoes_id:
            return gettext("undo of #%(number)d") % {"number": record.undoes_id}
        undone_by = getattr(record, "undone_by", None)
        return gettext("undone by #%(number)d") % {"number": undone_by.pk} if undone_by else ""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="foreignpolicy_importrecord_undo",
            ),
            *super().get_urls(),
        ]

    def has_undo_permission(self, request, record):
        """Undo imports again, deletes and may publish or unpublish: the kind's import, add,
        change, delete and publish permissions."""
        opts = record.content_type.model_class()._meta
        return all(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("import", "add", "change", "delete", "publish")
        )

    def undo_view(self, request, object_id):
        record = get_object_or_404(ImportRecord.objects.select_related("content_type"), pk=object_id)
        if not self.has_undo_permission(request, record):
            raise PermissionDenied
        model = record.content_type.model_class()
        if request.method == "POST":
            return self.start_undo(request, record, model)
        result = undo_import(record, request.user, resource_for_import(record), dry_run=True)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Undo import #%(number)d of %(file)s") % {"number": record.pk, "file": record.file_name},
            "opts": self.opts,
            "original": record,
            "result": result,
        }
        return TemplateResponse(request, "admin/foreignpolicy/undo_import.html", context)

    def start_undo(self, request, record, model):
        """Undo as a file job: in this request when the import was small, else in the worker."""
        job = jobs.create(
            user=request.user,
            model=model,
            action=FileJob.Action.UNDO,
            file_name=str(record)[:255],
            parameters={"import": record.pk},
        )
        start(job, inline=record.created + record.updated <= settings.UNDO_INLINE_MAX_RECORDS)
        if job.state == FileJob.State.DONE and not job.problem_count:
            self.message_user(
                request,
                gettext("Import #%(number)d undone: %(summary)s")
                % {"number": record.pk, "summary": job.result["summary"]},
            )
            return HttpResponseRedirect(reverse("admin:foreignpolicy_importrecord_change", args=[job.record.pk]))
        return HttpResponseRedirect(
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_job", args=[job.pk])
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, object_id)
        can_undo = bool(record) and not refusal_for(record) and self.has_undo_permission(request, record)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "can_undo": can_undo})


class SuperusersOnly:
    """Who tried to log in, and from where, is for superusers alone, whatever a role may hold."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# Deleting a failed attempt unlocks what it locked (docs/security.md, "Staff login").
@admin.register(AccessAttempt)
class AccessAttemptAdmin(SuperusersOnly, axes_admin.AccessAttemptAdmin):
    pass


@admin.register(AccessLog)
class AccessLogAdmin(SuperusersOnly, axes_admin.AccessLogAdmin):
    pass

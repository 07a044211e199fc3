"""Import and export in the admin, through the same pipeline as `import_csv`.

Import is two steps. The upload is previewed: every row is marked new, changed,
unchanged or in error. Then the staff member confirms, and exactly the previewed changes
are written, all or nothing. Each step is a job (FileJob, foreignpolicy.jobs): small
files run in the request, larger ones in the background worker, behind a progress page
that the staff member may leave and come back to. A large export is a job too, and its
file is downloaded from the job's page. Only a job's owner ever sees it.
"""

import io
import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from . import jobs
from .file_formats import EXPORT_FORMATS, CsvFormat
from .models import FileJob
from .tabular import xlsx_unpacked_size
from .tasks import start

ACCEPTED_EXTENSIONS = (".csv", ".xlsx")
ROWS_PER_PAGE = 100
RECENT_JOBS = 10
# Seconds between two reloads of the page of a job that is still running.
REFRESH_SECONDS = 3


class UploadForm(forms.Form):
    import_file = forms.FileField(
        label=gettext_lazy("File to import"),
        help_text=gettext_lazy("CSV (UTF-8 or Windows-1252, comma or semicolon) or Excel .xlsx (first sheet)."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(kinds) > 1:
            # A record kind's parts (an agreement's steps, its participants) have files of their own.
            # Not given (a script's upload), the file holds the records themselves.
            self.fields["kind"] = forms.ChoiceField(
                label=gettext_lazy("The file holds"), choices=kinds, required=False, initial=kinds[0][0]
            )
            self.order_fields(["kind", "import_file"])

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; files of up to %(limit)s can be imported. Split it into smaller files.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        if not upload.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(_("Only .csv and .xlsx files can be imported."))
        return upload


# Words of django-import-export's export page, worded here so that this catalogue gives
# their Spanish (the library's own says "importer" on the export page).
LIBRARY_WORDS = [gettext_noop("This exporter will export the following fields: ")]


class FileImportExportMixin(ExportMixin):
    """Import (ours: preview, confirm) and export (django-import-export's form, our formats),
    each as a job when the file is large."""

    import_template_name = "admin/foreignpolicy/import.html"
    job_template_name = "admin/foreignpolicy/file_job.html"
    export_template_name = "admin/foreignpolicy/export.html"
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    export_formats = EXPORT_FORMATS
    # Every column, always: an export is a file that can be imported again as it is.
    export_form_class = ExportForm

    def get_export_filename(self, request, queryset, file_format):
        """ "acuerdos-2026-11-28.xlsx": the kind in the staff member's language, and the day."""
        name = slugify(self.model._meta.verbose_name_plural)
        return f"{name}-{timezone.localdate().isoformat()}.{file_format.get_extension()}"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_action), name=f"{prefix}_import"),
            path("import/template.csv", view(self.template_view), name=f"{prefix}_import_template"),
            path("jobs/<uuid:job_id>/", view(self.job_view), name=f"{prefix}_job"),
            path("jobs/<uuid:job_id>/confirm/", view(require_POST(self.confirm_view)), name=f"{prefix}_job_confirm"),
            path("jobs/<uuid:job_id>/download/", view(self.download_view), name=f"{prefix}_job_download"),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        """The import permission of this record kind, and the rights to add and change it."""
        codename = get_permission_codename("import", self.opts)
        return (
            request.user.has_perm(f"{self.opts.app_label}.{codename}")
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request):
        codename = get_permission_codename("export", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}") and self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def resource(self, kind=""):
        """The resource of the file kind `kind` (its Meta.name), the record kind's own by default."""
        chosen = [resource for resource in self.resource_classes if resource._meta.name == kind]
        return (chosen or self.resource_classes)[0]()

    def file_kinds(self):
        """(name, label) of each kind of file this record kind imports."""
        return [(resource._meta.name, resource.file_label()) for resource in self.resource_classes]

    def import_action(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None, kinds=self.file_kinds())
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            kind = form.cleaned_data.get("kind", "")
            data = upload.read()
            job = jobs.create(
                user=request.user,
                model=self.model,
                action=FileJob.Action.PREVIEW,
                file_name=upload.name[:255],
                data=data,
                size=upload.size,
                # What its confirmation will read again, to be run where the preview ran.
                parameters={"read_bytes": bytes_to_read(upload.name, data), "kind": kind},
            )
            start(job, inline=job.parameters["read_bytes"] <= settings.IMPORT_INLINE_MAX_BYTES)
            return HttpResponseRedirect(self.job_url(job))
        recent = self.recent_jobs(request).exclude(action=FileJob.Action.EXPORT)[:RECENT_JOBS]
        context = {"form": form, "recent_jobs": [jobs.with_pulse(job) for job in recent]}
        return self.render_files(request, self.import_template_name, context)

    def job_view(self, request, job_id):
        job = self.get_job(request, job_id)
        context = {"job": job, "title": job_title(job, self.opts)}
        if job.state == FileJob.State.DONE and job.action == FileJob.Action.PREVIEW:
            context["rows"] = Paginator(job.result.get("rows", []), ROWS_PER_PAGE).get_page(request.GET.get("page"))
            context["confirmable"] = job.can_be_confirmed()
        if job.action != FileJob.Action.EXPORT and (
            job.state == FileJob.State.FAILED or job.is_stopped or job.problem_count
        ):
            context["form"] = UploadForm(kinds=self.file_kinds(), initial={"kind": job.parameters.get("kind")})
        if job.is_waiting:
            context["refresh_seconds"] = REFRESH_SECONDS
        return self.render_files(request, self.job_template_name, context)

    def confirm_view(self, request, job_id):
        if not self.has_import_permission(request):
            raise PermissionDenied
        preview = self.jobs(request).filter(pk=job_id, action=FileJob.Action.PREVIEW).defer("data").first()
        job = None
        if preview is not None and preview.can_be_confirmed():
            try:
                with transaction.atomic():
                    job = jobs.create(
                        user=request.user,
                        model=self.model,
                        action=FileJob.Action.CONFIRM,
                        file_name=preview.file_name,
                        size=preview.size,
                        preview=preview,
                    )
            except IntegrityError:  # confirmed at the same moment, from another tab
                job = None
        if job is None:
            messages.error(request, _("This preview has expired or was already confirmed. Upload the file again."))
            return HttpResponseRedirect(self.import_url())
        read_bytes = preview.parameters.get("read_bytes", preview.size)
        start(job, inline=read_bytes <= settings.IMPORT_INLINE_MAX_BYTES)
        if job.state == FileJob.State.DONE and not job.problem_count:
            messages.success(
                request, _("%(file)s imported: %(summary)s") % {"file": job.file_name, "summary": job.result["summary"]}
            )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        return HttpResponseRedirect(self.job_url(job))

    def template_view(self, request):
        """A file to start from: the columns, and two example rows (docs/csv-format.md, "Templates")."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.resource(request.GET.get("kind", ""))
        output = io.BytesIO()
        CsvFormat().write(resource.get_export_headers(), resource.template_rows(), output)
        template = slugify(_("template"))  # "template-agreements.csv", "plantilla-acuerdos.csv"
        name = f"{template}-{slugify(resource.file_label())}.csv"
        response = HttpResponse(output.getvalue(), content_type=CsvFormat().get_content_type())
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def download_view(self, request, job_id):
        if not self.has_export_permission(request):
            raise PermissionDenied
        job = get_object_or_404(
            self.jobs(request).defer("data"),
            pk=job_id,
            action=FileJob.Action.EXPORT,
            state=FileJob.State.DONE,
            size__gt=0,
        )
        # Sent as it is read from the job's row, never held whole.
        response = StreamingHttpResponse(jobs.stored_file(job), content_type=job.parameters["content_type"])
        response["Content-Length"] = job.size
        response["Content-Disposition"] = content_disposition_header(True, job.file_name)
        return response

    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        form = self.get_export_form_class()(
            formats, self.get_export_resource_classes(request), data=request.POST or None
        )
        if form.is_valid():
            index = int(form.cleaned_data["format"])
            file_format = formats[index]()
            resource = self.resource_classes[int(form.cleaned_data.get("resource") or 0)]()
            queryset = self.get_export_queryset(request)
            file_name = self.get_export_filename(request, queryset, file_format)
            if queryset.count() <= settings.EXPORT_INLINE_MAX_ROWS:
                # Written to a temporary file as the rows are read, then sent from it.
                output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
                jobs.export_file(resource, queryset, file_format, output)
                output.seek(0)
                return FileResponse(
                    output, as_attachment=True, filename=file_name, content_type=file_format.get_content_type()
                )
            job = jobs.create(
                user=request.user,
                model=self.model,
                action=FileJob.Action.EXPORT,
                file_name=file_name,
                parameters={
                    "query": request.GET.urlencode(),
                    "format": index,
                    "kind": resource._meta.name,
                    "content_type": file_format.get_content_type(),
                },
            )
            start(job, inline=False)
            return HttpResponseRedirect(self.job_url(job))
        context = self.init_request_context_data(request, form)
        recent = self.recent_jobs(request).filter(action=FileJob.Action.EXPORT)[:RECENT_JOBS]
        context["recent_jobs"] = [jobs.with_pulse(job) for job in recent]
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context=context)

    def jobs(self, request):
        """The jobs the staff member started on this record kind: nobody else's, ever."""
        return FileJob.objects.owned_by(request.user).of_kind(self.model).current()

    def recent_jobs(self, request):
        return self.jobs(request).for_list()

    def get_job(self, request, job_id):
        if not (self.has_import_permission(request) or self.has_export_permission(request)):
            raise PermissionDenied
        job = self.jobs(request).select_related("record").defer("data").filter(pk=job_id).first()
        if job is None:
            raise Http404(_("No such job: it was deleted after a day, or it is not yours."))
        allowed = self.has_export_permission if job.action == FileJob.Action.EXPORT else self.has_import_permission
        if not allowed(request):
            raise PermissionDenied
        return jobs.with_pulse(job)

    def job_url(self, job):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_job", args=[job.pk])

    def import_url(self):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def render_files(self, request, template, context):
        context.setdefault("title", _("Import %(records)s") % {"records": self.opts.verbose_name_plural})
        context.update(
            self.admin_site.each_context(request),
            opts=self.opts,
            file_kinds=[
                (name, label, resource.file_columns(), resource.file_note())
                for name, label in self.file_kinds()
                for resource in [self.resource(name)]
            ],
            limit=settings.IMPORT_MAX_UPLOAD_BYTES,
            inline_limit=settings.IMPORT_INLINE_MAX_BYTES,
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context)


def bytes_to_read(name, data):
    """The bytes that reading the file goes through, which is what its preview and import
    cost: an .xlsx file's parts unpacked (a workbook of 1 MB may hold 100 MB of rows), a
    CSV file's own."""
    if name.lower().endswith(".xlsx"):
        return max(len(data), xlsx_unpacked_size(data) or 0)
    return len(data)


def job_title(job, opts):
    records = {"records": opts.verbose_name_plural, "file": job.file_name}
    if job.action == FileJob.Action.EXPORT:
        return _("Export of %(records)s: %(file)s") % records
    if job.action == FileJob.Action.UNDO:
        return _("Undo of %(file)s") % records
    if job.action == FileJob.Action.CONFIRM:
        return _("Import of %(records)s: %(file)s") % records
    return _("Preview of an import of %(records)s: %(file)s") % records

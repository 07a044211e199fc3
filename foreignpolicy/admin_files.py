"""Import and export in the admin, through the same pipeline as `import_csv`.

Import is two steps. The upload is previewed: every row is marked new, changed,
unchanged or in error. Then the staff member confirms, and exactly the previewed changes
are written, all or nothing. The file waits between the two steps in the database (see
PendingImport), tied to its uploader.
"""

import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from .file_formats import EXPORT_FORMATS
from .models import PendingImport
from .tabular import FileProblem, read_table

ACCEPTED_EXTENSIONS = (".csv", ".xlsx")
ABANDONED_AFTER = timedelta(days=1)


class UploadForm(forms.Form):
    import_file = forms.FileField(
        label=gettext_lazy("File to import"),
        help_text=gettext_lazy("CSV (UTF-8 or Windows-1252, comma or semicolon) or Excel .xlsx (first sheet)."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )

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


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class FileImportExportMixin(ExportMixin):
    """Import (ours: preview, confirm) and export (django-import-export's screen, our formats)."""

    import_template_name = "admin/foreignpolicy/import.html"
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    export_formats = EXPORT_FORMATS
    # Every column, always: an export is a file that can be imported again as it is.
    export_form_class = ExportForm

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", self.admin_site.admin_view(self.import_action), name=f"{prefix}_import"),
            path(
                "import/confirm/",
                self.admin_site.admin_view(require_POST(self.process_import)),
                name=f"{prefix}_process_import",
            ),
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

    def resource(self):
        return self.resource_classes[0]()

    def import_action(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {"form": form}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            data = upload.read()
            try:
                dataset = read_table(data, upload.name)
            except FileProblem as problem:
                form.add_error("import_file", str(problem))
            else:
                result = self.resource().import_data(dataset, dry_run=True, user=request.user, file_name=upload.name)
                context["result"] = result
                if not result.problems:
                    context["confirm_form"] = ConfirmForm(
                        initial={"token": self.keep(request, upload.name, data, result)}
                    )
        return self.render_import(request, context)

    def process_import(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ConfirmForm(request.POST)
        pending = None
        if form.is_valid():
            pending = PendingImport.objects.filter(
                token=form.cleaned_data["token"], user=request.user, content_type=self.content_type()
            ).first()
        if pending is None:
            messages.error(request, _("This preview has expired or was already confirmed. Upload the file again."))
            return HttpResponseRedirect(self.import_url())
        dataset = read_table(bytes(pending.data), pending.file_name)
        result = self.resource().import_data(
            dataset,
            dry_run=False,
            user=request.user,
            file_name=pending.file_name,
            expected_fingerprint=pending.plan_fingerprint,
        )
        pending.delete()
        if result.problems:
            return self.render_import(request, {"form": UploadForm(), "result": result})
        messages.success(
            request, _("%(file)s imported: %(summary)s") % {"file": pending.file_name, "summary": result.summary()}
        )
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def keep(self, request, file_name, data, result):
        PendingImport.objects.filter(uploaded_at__lt=timezone.now() - ABANDONED_AFTER).delete()
        token = secrets.token_urlsafe(32)
        PendingImport.objects.create(
            token=token,
            user=request.user,
            content_type=self.content_type(),
            file_name=file_name[:255],
            data=data,
            plan_fingerprint=result.fingerprint,
        )
        return token

    def content_type(self):
        return ContentType.objects.get_for_model(self.model)

    def import_url(self):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def render_import(self, request, context):
        resource = self.resource()
        context.update(
            self.admin_site.each_context(request),
            title=_("Import %(records)s") % {"records": self.opts.verbose_name_plural},
            opts=self.opts,
            columns=[column.column_name for column in resource.get_import_fields()],
            limit=settings.IMPORT_MAX_UPLOAD_BYTES,
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.import_template_name, context)

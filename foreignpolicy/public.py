"""What the public pages of the three apps share: draft previews for staff, filtered lists
whose page, downloads and feeds all start from the same FilterSet, and the downloads."""

from django import forms
from django.http import Http404, HttpResponsePermanentRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, View

from .models import Record, is_slug, previous_slug_owners
from .tabular import csv_pieces, json_pieces

PAGE_SIZE = 25
NOT_FILTERS = {"page", "ordering", "year", "format"}


class RecordDetailView(DetailView):
    """A record's page; drafts answer 404 except to staff, who see a preview. A record's
    old address (an earlier slug) answers 301 to its page; the address of a record the
    public could see, returned to draft, answers 410 with a notice."""

    def get_queryset(self):
        return self.model.objects.for_detail().visible_to(self.request.user)

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            slug = kwargs["slug"]
            renamed = self.get_queryset().filter(pk__in=previous_slug_owners(self.model, slug)).first()
            if renamed is not None:
                return HttpResponsePermanentRedirect(renamed.get_absolute_url())
            withdrawn = self.model.objects.withdrawn().filter(slug=slug).first()
            if withdrawn is None:
                raise
            return TemplateResponse(request, "withdrawn.html", {"record": withdrawn}, status=410)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if not self.object.is_public:
            # A preview is for the staff member who asked: no cache may keep it.
            patch_cache_control(response, private=True)
        return response


class QueryFormsMixin:
    """A page whose query string forms read (query_forms()). A value in error answers 400:
    the page, with each error beside its field and a summary naming them (`query_errors`),
    and no rows; it lists nothing the reader did not ask for."""

    def query_forms(self):
        return []

    def query_errors(self):
        return named_errors(self.query_forms())

    def get_context_data(self, **kwargs):
        return super().get_context_data(query_errors=self.query_errors(), **kwargs)

    def render_to_response(self, context, **response_kwargs):
        if context["query_errors"]:
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class PageForm(forms.Form):
    page = forms.IntegerField(label=gettext_lazy("Page"), min_value=1, required=False)


class PagedMixin(QueryFormsMixin):
    """A list in pages whose `page` is read as the other values of its query: a whole
    number from 1, or the query is in error. A page past the last is the last, as
    Paginator.get_page gives it: a link kept from a longer list still leads somewhere."""

    def get_page_form(self):
        if not hasattr(self, "_page_form"):
            self._page_form = PageForm(self.request.GET)
        return self._page_form

    def query_forms(self):
        return [*super().query_forms(), self.get_page_form()]

    def page_number(self):
        # A page in error lists nothing (QueryFormsMixin); the first page of nothing is empty.
        return self.get_page_form().cleaned_data.get("page") or 1

    def paginate_queryset(self, queryset, page_size):
        # For a ListView: its own, but reading the page from the form, and with get_page.
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=self.get_allow_empty()
        )
        page = paginator.get_page(self.page_number())
        return paginator, page, page.object_list, page.has_other_pages()


def named_errors(forms):
    """(label, message) of every error of the forms, in the order of their fields."""
    return [(form[name].label, message) for form in forms for name in form.errors for message in form.errors[name]]


def invalid_query_response(request, errors, list_url):
    """For a download or feed whose query holds a value in error: 400, naming each error,
    and a link to the list with the same query, whose form shows where to correct it."""
    query = request.GET.urlencode()
    return TemplateResponse(
        request,
        "invalid_query.html",
        {"query_errors": errors, "list_url": f"{list_url}?{query}" if query else list_url},
        status=400,
    )


class FilteredMixin(QueryFormsMixin):
    """Applies the app's FilterSet to the public records, as `self.filterset`."""

    filterset_class = None
    # Whether the rows show their links to other records (a download's reference columns).
    links = False

    def dispatch(self, request, *args, **kwargs):
        return self.renamed_redirect() or super().dispatch(request, *args, **kwargs)

    def renamed_redirect(self):
        """A 301 to the same address when a filter names a record by an old slug, else None."""
        return renamed_filters_redirect(self.request, self.get_filterset())

    def base_queryset(self):
        return self.filterset_class._meta.model.objects.public(links=self.links).for_list()

    def get_filterset(self):
        if not hasattr(self, "_filterset"):
            self._filterset = self.filterset_class(
                self.request.GET or None, queryset=self.base_queryset(), request=self.request
            )
        return self._filterset

    def query_forms(self):
        return [*super().query_forms(), self.get_filterset().form]

    def filtered_queryset(self):
        # A query with a value in error selects nothing (see QueryFormsMixin): not the rows
        # of the other filters, as if the one in error had not been asked for.
        return self.get_filterset().qs if not self.query_errors() else self.base_queryset().none()

    def refusal(self):
        """For a download or feed: the answer to a query with a value in error, else None."""
        errors = self.query_errors()
        if not errors:
            return None
        return invalid_query_response(
            self.request, errors, reverse(f"{self.filterset_class._meta.model._meta.app_label}:list")
        )


def renamed_filters_redirect(request, filterset):
    """A 301 to the same list, download or feed when a filter names a record by an old
    slug; None otherwise. Only an unknown value is looked up, so a valid request costs
    nothing more."""
    if not filterset.is_bound or filterset.is_valid():
        return None
    query, renamed = request.GET.copy(), False
    for name in filterset.errors:
        chosen = filterset.filters.get(name)
        queryset = getattr(chosen, "queryset", None) or getattr(chosen, "extra", {}).get("queryset")
        value = query.get(name, "")
        if queryset is None or not issubclass(queryset.model, Record) or not is_slug(queryset.model, value):
            continue
        record = queryset.filter(pk__in=previous_slug_owners(queryset.model, value)).first()
        if record is not None:
            query[name], renamed = record.slug, True
    return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode()}") if renamed else None


class FilteredListView(PagedMixin, FilteredMixin, ListView):
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return self.filtered_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.get_filterset()
        context["active_filters"] = active_filters(self.get_filterset(), self.request)
        return context


def active_filters(filterset, request):
    """(label, value, URL of the same list without this filter) for each filter in use."""
    if not filterset.is_bound or not filterset.is_valid():
        return []
    chips = []
    for name, field in filterset.form.fields.items():
        if name in NOT_FILTERS or request.GET.get(name, "") == "":
            continue
        value = filterset.form.cleaned_data.get(name)
        if value in (None, "", [], ()):
            continue
        without = request.GET.copy()
        without.pop(name, None)
        without.pop("page", None)
        chips.append((field.label, display_value(field, value), f"?{without.urlencode()}"))
    return chips


def display_value(field, value):
    for key, label in getattr(field, "choices", None) or []:
        # Grouped choices (<optgroup>) hold their own (key, label) pairs.
        for option, text in label if isinstance(label, (list, tuple)) else [(key, label)]:
            if option == value:
                return text
    return str(value)


def json_download(resource, rows):
    """The rows as JSON objects with typed values: lists as arrays, yes/no as booleans,
    empty cells as null (docs/csv-format.md, "JSON")."""
    values = resource.json_values()
    typed = ([value(cell) for value, cell in zip(values, row, strict=True)] for row in rows)
    return json_pieces(resource.get_export_headers(), typed)


DOWNLOADS = {
    "csv": (lambda resource, rows: csv_pieces(resource.get_export_headers(), rows), "text/csv; charset=utf-8"),
    "json": (json_download, "application/json; charset=utf-8"),
}


def download_response(resource_class, queryset, fmt):
    """Records as CSV in the import format, or as JSON with the same columns, sent as they
    are read, in the order of the list they were filtered for. `queryset` holds published
    records (public()); their reference columns name only published records too."""
    if fmt not in DOWNLOADS:
        raise Http404(_("Unknown format."))
    write, content_type = DOWNLOADS[fmt]
    resource = resource_class()
    rows = resource.export_rows(queryset, public=True, keep_order=True)
    response = StreamingHttpResponse(write(resource, rows), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{resource_class._meta.name}.{fmt}"'
    return response


class DownloadView(FilteredMixin, View):
    """The rows a filtered list selects, all pages, in the format the URL names."""

    resource_class = None

    def get(self, request, format):
        return self.refusal() or download_response(self.resource_class, self.filtered_queryset(), format)

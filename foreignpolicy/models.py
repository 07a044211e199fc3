"""The shared base of the three record kinds, and the vocabularies they all use."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .search import search, search_text
from .text import Translated


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def drafts(self):
        return self.filter(is_published=False)

    def visible_to(self, user):
        """Published records, and drafts too for staff, who may preview them."""
        return self if user.is_staff else self.published()

    def search(self, text):
        """Records whose text in either language holds every word, ignoring case and accents."""
        return search(self, text)


def slug_from_titles(model, titles):
    """The slug a record gets when none is given: from the first title that is filled in
    (English before Spanish), cut to fit the field."""
    title = next((title for title in titles if title and title.strip()), "")
    return slugify(title)[: model._meta.get_field("slug").max_length].strip("-")


class Record(models.Model):
    """A directorate, agreement or event: slugged, timestamped, draft or published."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Drafts are never shown to the public.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)
    # Every text of the record in both languages, normalised (see foreignpolicy.search).
    search_text = models.TextField(editable=False, default="")

    # The field whose `_en` / `_es` values name the record; an empty slug is made from it.
    title_field = "title"
    searched_fields = ()

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(f"{self._meta.app_label}:detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = self.validation_errors()
        if errors:
            raise ValidationError(errors)

    def validation_errors(self):
        """{field: message} for what is wrong with the record; kinds add their own rules."""
        title = self.title_field
        if getattr(self, f"{title}_en").strip() or getattr(self, f"{title}_es").strip():
            return {}
        if title == "name":
            return {"name_en": _("Give the name in English, in Spanish or in both.")}
        return {f"{title}_en": _("Give the title in English, in Spanish or in both.")}

    def refresh_search_text(self):
        self.search_text = search_text(getattr(self, name) for name in self.searched_fields)


class Vocabulary(models.Model):
    """An entry of a reference list (topic, type, organisation) named in both languages."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    name = Translated("name")

    class Meta:
        abstract = True
        ordering = ["position", "name_en"]

    def __str__(self):
        return self.name

    def lookup_keys(self):
        """Every spelling a spreadsheet may use for this entry."""
        return [self.slug, self.name_en, self.name_es]

    @property
    def export_key(self):
        return self.slug


class Topic(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def get_absolute_url(self):
        return reverse("topics:detail", kwargs={"slug": self.slug})


class Organisation(Vocabulary):
    acronym_en = models.CharField(_("acronym (English)"), max_length=30, blank=True)
    acronym_es = models.CharField(_("acronym (Spanish)"), max_length=30, blank=True)

    acronym = Translated("acronym")

    class Meta(Vocabulary.Meta):
        verbose_name = _("international organisation")
        verbose_name_plural = _("international organisations")

    def __str__(self):
        return self.acronym or self.name

    def lookup_keys(self):
        return [*super().lookup_keys(), self.acronym_en, self.acronym_es]

    @property
    def export_key(self):
        return self.acronym_en or self.name_en

    def clean(self):
        clashes = {
            field: _("%(code)s is an ISO country code; choose another acronym.") % {"code": value}
            for field in ("acronym_en", "acronym_es")
            if (value := getattr(self, field).strip()) and Country.objects.filter(code__iexact=value).exists()
        }
        if clashes:
            raise ValidationError(clashes)


class Country(models.Model):
    """An ISO 3166-1 country, named in both languages."""

    code = models.CharField(_("ISO 3166-1 alpha-2 code"), max_length=2, primary_key=True)
    alpha3 = models.CharField(_("ISO 3166-1 alpha-3 code"), max_length=3, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    other_names = models.TextField(
        _("other names"), blank=True, help_text=_("Other spellings an import accepts, separated by “;”.")
    )

    name = Translated("name")

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name_en"]

    def __str__(self):
        return self.name

    def lookup_keys(self):
        return [self.code, self.alpha3, self.name_en, self.name_es, *self.other_names.split(";")]

    @property
    def export_key(self):
        return self.code


class ImportRecord(models.Model):
    """One confirmed import: who, when, which file, and what it did."""

    content_type = models.ForeignKey(ContentType, verbose_name=_("record kind"), on_delete=models.PROTECT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT)
    file_name = models.CharField(_("file"), max_length=255)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    created = models.PositiveIntegerField(_("created"))
    updated = models.PositiveIntegerField(_("updated"))
    unchanged = models.PositiveIntegerField(_("unchanged"))
    drafts = models.PositiveIntegerField(_("drafts"))
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    undoes = models.OneToOneField(
        "self",
        verbose_name=_("undoes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="undone_by",
    )
    # What undoing needs, compressed (see foreignpolicy.imports.undo): the records the import
    # created, and the values before and after of those it changed.
    undo_data = models.BinaryField(editable=False, default=b"")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-imported_at"]

    def __str__(self):
        return _("Import #%(number)d of %(file)s") % {"number": self.pk or 0, "file": self.file_name}


class PendingImport(models.Model):
    """An uploaded file between its preview and its confirmation.

    Kept in the database, not on a server's disk, so that any server can confirm it and
    the public can never reach it; tied to the user who uploaded it and deleted once
    confirmed or abandoned for a day.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    file_name = models.CharField(max_length=255)
    data = models.BinaryField()
    plan_fingerprint = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.file_name

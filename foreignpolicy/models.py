"""The shared base of the three record kinds, and the vocabularies they all use."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .search import search, search_text
from .text import Translated, word_joiners
from .two_step import admitted_as_staff


class PublishableQuerySet(models.QuerySet):
    """`public()` is what the public may see. Every public page, link, breadcrumb, count,
    filter choice, feed and download starts from it."""

    def published(self):
        return self.filter(public_condition())

    def drafts(self):
        return self.filter(is_published=False)

    def withdrawn(self):
        """Drafts that were public and left a notice at their address."""
        return self.drafts().filter(withdrawn_at__isnull=False)

    def public(self, links=False):
        """Published records whose links to other records (a directorate's parent, an
        agreement's directorate, an event's directorates and agreements) reach only
        published ones: with `links`, loaded; without, closed (empty, at no cost), for
        the pages that show no links."""
        return self.published().prefetch_related(*public_links(self.model, closed=not links))

    def with_links(self):
        """Every link to other records, drafts too: what staff's exports load. After
        `public()` these lookups change nothing: Django keeps a link's first lookup."""
        return self.prefetch_related(*(field.name for field in record_links(self.model)))

    def visible_to(self, user):
        """What a record's page shows a user: the public's records, and drafts too for
        staff who may view or change this kind. The preview's links follow the public
        rule, so it shows what the public will see."""
        if may_preview(user, self.model):
            return self.prefetch_related(*public_links(self.model))
        return self.public(links=True)

    def search(self, text):
        """Records whose text in either language holds every word, ignoring case and accents."""
        return search(self, text)


def public_condition(prefix=""):
    """The condition a record meets when the public may see it, also as seen from another
    model through `prefix` (e.g. "agreements__"): published, and its `publish_at`, if it
    has one, passed. Read at each query, so a scheduled record appears at its moment with
    no process having to run."""
    scheduled = Q(**{f"{prefix}publish_at__isnull": True}) | Q(**{f"{prefix}publish_at__lte": timezone.now()})
    return Q(**{f"{prefix}is_published": True}) & scheduled


def public_count(relation):
    """For annotate(): how many records the public may see each row reaches through
    `relation`, as in `Topic.objects.annotate(n=public_count("agreements"))`. One grouped
    count: a subquery in the filter would run once per row."""
    return Count(relation, filter=public_condition(f"{relation}__"), distinct=True)


def record_links(model):
    """The fields by which a record links to other records (not to vocabularies)."""
    return [
        field
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and isinstance(field.related_model, type)
        and issubclass(field.related_model, Record)
    ]


def public_links(model, closed=False):
    """A lookup for each link to other records that reaches only published ones, or none.

    Prefetch, never select_related: a link select_related has filled is not prefetched
    again, so the draft it reaches would show. A link to a draft reads as empty (a
    foreign key as None)."""
    return [
        Prefetch(
            field.name,
            queryset=field.related_model.objects.none() if closed else field.related_model.objects.published(),
        )
        for field in record_links(model)
        if field.name not in model.links_read_apart
    ]


def record_permissions(name, plural):
    """The permissions of a record kind beyond Django's four, for its Meta (README, "Roles"):
    `name` as in the model's name ("agreement"), `plural` as staff read it ("agreements")."""
    return [
        (f"import_{name}", format_lazy(_("Can import {} from files"), plural)),
        (f"export_{name}", format_lazy(_("Can export {} to files"), plural)),
        (f"publish_{name}", format_lazy(_("Can publish, unpublish and schedule {}"), plural)),
    ]


def may_preview(user, model):
    """Whether a user may see drafts of this kind on the public site: staff, through the
    second step of their login where they need one, with the permission to view or to change it."""
    opts = model._meta
    return admitted_as_staff(user) and any(
        user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}") for action in ("view", "change")
    )


def may_publish(user, model):
    """Whether a user may publish, unpublish, schedule, and change or delete what is
    published, of this kind: publishers (README, "Roles")."""
    return user.has_perm(f"{model._meta.app_label}.publish_{model._meta.model_name}")


def is_slug(model, value):
    """Whether `value` could be the slug of a record of this kind. Only such a value is
    looked up: a query string's NUL byte (which PostgreSQL refuses) or long text never
    reaches the database."""
    return len(value) <= model._meta.get_field("slug").max_length and bool(slug_re.match(value))


def previous_slug_owners(model, slug):
    """A subquery: the record of this kind that had `slug` before its current one."""
    content_type = ContentType.objects.get_for_model(model)
    return PreviousSlug.objects.filter(content_type=content_type, slug=slug).values("object_id")


def remember_slugs(model, renames):
    """After records were renamed ([(pk, old slug, new slug)]), their old slugs keep leading
    to them (301); a slug a record takes again, or another record takes, leads nowhere else."""
    content_type = ContentType.objects.get_for_model(model)
    PreviousSlug.objects.filter(content_type=content_type, slug__in=[new for _pk, _old, new in renames]).delete()
    PreviousSlug.objects.bulk_create(
        [PreviousSlug(content_type=content_type, object_id=pk, slug=old) for pk, old, new in renames if old != new],
        update_conflicts=True,
        unique_fields=["content_type", "slug"],
        update_fields=["object_id", "replaced_at"],
    )


def slug_from_titles(model, titles):
    """The slug a record gets when none is given: from the first title that is filled in
    (English before Spanish), cut to fit the field."""
    title = next((title for title in titles if title and title.strip()), "")
    return slugify(title.translate(word_joiners()))[: model._meta.get_field("slug").max_length].strip("-")


class Record(models.Model):
    """A directorate, agreement or event: slugged, timestamped, draft or published."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Drafts are never shown to the public.")
    )
    publish_at = models.DateTimeField(
        _("public from"),
        null=True,
        blank=True,
        help_text=_("Optional: a published record stays hidden, as a draft, until this moment (Lima time)."),
    )
    # When the record last became public: set by the act of publishing (form, action, import).
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # When a public record was returned to draft, leaving a notice at its address (HTTP 410).
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Every text of the record in both languages, normalised (see foreignpolicy.search).
    search_text = models.TextField(editable=False, default="")

    # Links to other records that no lookup of public_links() loads: the kind reads them
    # apart, by the same rule (published records only), where a lookup each would cost more.
    links_read_apart = ()

    # The field whose `_en` / `_es` values name the record; an empty slug is made from it.
    title_field = "title"
    searched_fields = ()

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        self.mark_withdrawal(timezone.now())
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "withdrawn_at"}
        super().save(*args, **kwargs)
        read_slug = getattr(self, "_as_read", {}).get("slug")
        if read_slug and read_slug != self.slug:
            remember_slugs(type(self), [(self.pk, read_slug, self.slug)])
        self._as_read = {"slug": self.slug, "is_published": self.is_published, "publish_at": self.publish_at}

    def get_absolute_url(self):
        return reverse(f"{self._meta.app_label}:detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        # As read, to tell on save whether the slug changed and whether it was public.
        loaded = record.__dict__
        record._as_read = {name: loaded[name] for name in ("slug", "is_published", "publish_at") if name in loaded}
        return record

    def was_public(self, now):
        """Whether the record was public as it was read (False for one not read, or read
        without its publication fields)."""
        read = getattr(self, "_as_read", {})
        moment = read.get("publish_at", now)
        return bool(read.get("is_published")) and "publish_at" in read and (moment is None or moment <= now)

    def mark_withdrawal(self, now):
        """A record the public could see when it was read, now returned to draft, leaves a
        notice at its address (HTTP 410); a published one has none."""
        if self.is_published:
            self.withdrawn_at = None
        elif self.was_public(now):
            self.withdrawn_at = now

    @property
    def public_since(self):
        """When the public could first see the record as it is published now: its
        scheduled moment, or the act of publishing if that came later."""
        return max((moment for moment in (self.publish_at, self.published_at) if moment), default=None)

    @property
    def is_scheduled(self):
        return self.is_published and self.publish_at is not None and self.publish_at > timezone.now()

    @property
    def is_public(self):
        """What public_condition() says of the record, read on the record itself."""
        return self.is_published and not self.is_scheduled

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

    def validation_warnings(self):
        """{field: message} for what the record may well hold, but probably should not:
        said by the admin on saving and by the import as a warning; kinds add their own."""
        return {}

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
    created = models.PositiveIntegerField(pgettext_lazy("records", "created"))
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
        if self.undoes_id:
            return _("Import #%(number)d, the undo of import #%(undone)d") % {
                "number": self.pk or 0,
                "undone": self.undoes_id,
            }
        return _("Import #%(number)d of %(file)s") % {"number": self.pk or 0, "file": self.file_name}


class PreviousSlug(models.Model):
    """A slug a record had: its old addresses answer 301 to the current one."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    slug = models.SlugField(max_length=120)
    replaced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("previous slug")
        verbose_name_plural = _("previous slugs")
        constraints = [models.UniqueConstraint(fields=["content_type", "slug"], name="one_record_per_previous_slug")]

    def __str__(self):
        return self.slug


class RevisionSource(models.Model):
    """How a revision (django-reversion's) came about: a form, an import, an action."""

    class How(models.TextChoices):
        FORM = "form", _("edited")
        IMPORT = "import", _("import")
        UNDO = "undo", _("undo of an import")
        PUBLISH = "publish", _("published with the list's action")
        UNPUBLISH = "unpublish", _("returned to draft with the list's action")
        RESTORE = "restore", _("restored")

    revision = models.OneToOneField("reversion.Revision", on_delete=models.CASCADE, related_name="source")
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    import_record = models.ForeignKey(
        ImportRecord, verbose_name=_("import"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restored = models.ForeignKey(
        "reversion.Revision",
        verbose_name=_("revision restored"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("revision source")
        verbose_name_plural = _("revision sources")

    def __str__(self):
        return str(self.import_record) if self.import_record_id else self.get_how_display()


class FileJobQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)

    def of_kind(self, model):
        return self.filter(content_type=ContentType.objects.get_for_model(model))

    def expired(self):
        return self.filter(created_at__lt=self.expiry())

    def current(self):
        """Not yet expired: an expired job is gone for its owner even before it is deleted."""
        return self.filter(created_at__gte=self.expiry())

    @staticmethod
    def expiry():
        return timezone.now() - timedelta(seconds=settings.FILE_JOBS_KEPT_FOR)

    def for_list(self):
        """Without the file and the result, which the list does not show."""
        return self.defer("data", "result").order_by("-created_at")


class FileJob(models.Model):
    """A preview, a confirmation or an export of a file, run as a job.

    Large files run in the background worker (foreignpolicy.tasks), small ones in the
    request; both through foreignpolicy.jobs.run. The job lives in the database, so any
    app server can show it or confirm it; only its owner ever sees it or its file.
    """

    class Action(models.TextChoices):
        PREVIEW = "preview", _("preview of an import")
        CONFIRM = "confirm", _("import")
        EXPORT = "export", _("export")
        UNDO = "undo", _("undo of an import")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="file_jobs")
    content_type = models.ForeignKey(ContentType, verbose_name=_("record kind"), on_delete=models.CASCADE)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    # The messages of the result are written in the language of the staff member who started it.
    language = models.CharField(max_length=16, default="", editable=False)
    file_name = models.CharField(_("file"), max_length=255)
    # The uploaded file of a preview (until it is confirmed, or found to have problems), or
    # the file an export produced; never served but to the job's owner.
    data = models.BinaryField(default=b"", editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # What the action needs besides the file: for an export, the changelist's filters and the format.
    parameters = models.JSONField(default=dict, editable=False)
    # A confirmation confirms one preview, and a preview can be confirmed once.
    preview = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="confirmation", editable=False
    )
    # Of a preview without problems: what a confirmation must find again.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    # Summary, problems, warnings and a bounded sample of the rows (see foreignpolicy.jobs).
    result = models.JSONField(default=dict, editable=False)
    # The import the job wrote; set in the same transaction as the import itself.
    record = models.ForeignKey(ImportRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the worker was last heard of. While a job runs, its progress and heartbeat go to
    # the queue's storage, out of the import's transaction (foreignpolicy.jobs.Progress),
    # and the row is brought up to date when it finishes. A running job whose heartbeat
    # stopped lost its worker.
    heartbeat_at = models.DateTimeField(default=timezone.now)

    objects = FileJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("file job")
        verbose_name_plural = _("file jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.file_name}"

    @property
    def is_waiting(self):
        return self.state in (self.State.QUEUED, self.State.RUNNING) and not self.is_stopped

    @property
    def is_stopped(self):
        """Running, but its worker has not been heard of for too long: it died. (Read the
        heartbeat with foreignpolicy.jobs.with_pulse first.)"""
        return self.state == self.State.RUNNING and self.heartbeat_at < timezone.now() - timedelta(
            seconds=settings.FILE_JOBS_STALE_AFTER
        )

    @property
    def is_late(self):
        """Queued for so long that no worker seems to be running."""
        return self.state == self.State.QUEUED and self.created_at < timezone.now() - timedelta(
            seconds=settings.FILE_JOBS_STALE_AFTER
        )

    @property
    def problem_count(self):
        return self.result.get("problem_count", 0)

    def can_be_confirmed(self):
        return (
            self.action == self.Action.PREVIEW
            and self.state == self.State.DONE
            and bool(self.fingerprint)
            and not self.problem_count
            and not hasattr(self, "confirmation")
        )

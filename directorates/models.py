from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from foreignpolicy.models import PublishableQuerySet, Record, Topic, record_permissions
from foreignpolicy.revisions import versioned
from foreignpolicy.text import Translated


class DirectorateQuerySet(PublishableQuerySet):
    # The parent is a link to another record: public() or with_links() loads it.
    def for_list(self):
        return self.prefetch_related("topics")

    def for_detail(self):
        return self.for_list()

    def for_export(self):
        return self.for_list().with_links().order_by("position", "slug")

    def tree(self):
        """The units without a parent in this queryset (a unit under a draft stands at the
        top), each with its sub-units, two levels deep."""
        units = self.order_by("position", "name_en")
        # Django gives each sub-unit the unit above it as its parent, so the sub-units'
        # querysets need no parent prefetch of their own.
        below = units.prefetch_related(None)
        return units.exclude(parent__in=self.values("pk")).prefetch_related(
            Prefetch("children", queryset=below.prefetch_related(Prefetch("children", queryset=below)))
        )


@versioned
class Directorate(Record):
    """A unit of the ministry: a directorate-general, a directorate or a department."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    acronym = models.CharField(_("acronym"), max_length=20, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    body_en = models.TextField(_("body text (English)"), blank=True, help_text=_("Markdown."))
    body_es = models.TextField(_("body text (Spanish)"), blank=True, help_text=_("Markdown."))
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="directorates")
    position = models.PositiveIntegerField(
        _("display order"), default=0, help_text=_("Order among the units of the same parent.")
    )

    title_field = "name"
    searched_fields = ("acronym", "name_en", "name_es", "summary_en", "summary_es", "body_en", "body_es")
    name = Translated("name")
    summary = Translated("summary")
    body = Translated("body")

    objects = DirectorateQuerySet.as_manager()

    class Meta:
        verbose_name = _("directorate")
        verbose_name_plural = _("directorates")
        permissions = record_permissions("directorate", _("directorates"))
        ordering = ["position", "name_en"]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


def closes_a_cycle(pk, parent_pk, parent_of):
    """Whether making `parent_pk` the parent of `pk` makes a unit its own ancestor.

    `parent_of` maps every unit's key to its parent's key; keys may be primary keys or,
    during an import, slugs.
    """
    seen = set()
    ancestor = parent_pk
    while ancestor is not None and ancestor not in seen:
        if ancestor == pk:
            return True
        seen.add(ancestor)
        ancestor = parent_of.get(ancestor)
    return False

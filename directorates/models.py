from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from foreignpolicy.models import PublishableQuerySet, Record, Topic, record_permissions
from foreignpolicy.partial_dates import PartialDateAttribute, precision_field
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

    def carrying_on(self, directorates):
        """{directorate's pk: [units of this queryset]} for each of `directorates` that no
        longer exists as it was: the units that carry on its work today, following its
        successors, and theirs, to those that have none. Two queries, however many units
        and successions there are (a ministry has some hundreds of units)."""
        successors = {}
        for predecessor, successor in self.model.predecessors.through.objects.values_list(
            "to_directorate", "from_directorate"
        ):
            successors.setdefault(predecessor, []).append(successor)
        latest = {directorate.pk: latest_units(directorate.pk, successors) for directorate in directorates}
        found = self.in_bulk({pk for units in latest.values() for pk in units})
        return {
            pk: sorted((found[unit] for unit in units if unit in found), key=str)
            for pk, units in latest.items()
            if any(unit in found for unit in units)
        }

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
    predecessors = models.ManyToManyField(
        "self",
        verbose_name=_("formerly"),
        symmetrical=False,
        blank=True,
        related_name="successors",
        help_text=_("The units this one carries on from: renamed, merged into it, or split to make it."),
    )
    formed_on = models.DateField(_("in its present form since"), null=True, blank=True)
    formed_on_precision = precision_field()
    dissolved_on = models.DateField(
        _("until"), null=True, blank=True, help_text=_("When the unit ceased to exist as it was.")
    )
    dissolved_on_precision = precision_field()
    position = models.PositiveIntegerField(
        _("display order"), default=0, help_text=_("Order among the units of the same parent.")
    )

    title_field = "name"
    searched_fields = ("acronym", "name_en", "name_es", "summary_en", "summary_es", "body_en", "body_es")
    name = Translated("name")
    summary = Translated("summary")
    body = Translated("body")
    formed = PartialDateAttribute("formed_on")
    dissolved = PartialDateAttribute("dissolved_on")

    objects = DirectorateQuerySet.as_manager()

    class Meta:
        verbose_name = _("directorate")
        verbose_name_plural = _("directorates")
        permissions = record_permissions("directorate", _("directorates"))
        ordering = ["position", "name_en"]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def validation_errors(self):
        errors = super().validation_errors()
        if self.formed and self.dissolved and self.dissolved.end < self.formed.start:
            errors["dissolved_on"] = _(
                "The unit ceased (%(dissolved)s) before it took its present form (%(formed)s)."
            ) % {
                "dissolved": self.dissolved.isoformat(),
                "formed": self.formed.isoformat(),
            }
        return errors


def latest_units(pk, successors):
    """The units with no successor reached from `pk` through `successors` ({pk: [pk]}); []
    for a unit that has none itself. A circle of successions ends where it closes."""
    latest, seen, waiting = [], {pk}, list(successors.get(pk, []))
    while waiting:
        unit = waiting.pop(0)
        if unit in seen:
            continue
        seen.add(unit)
        if successors.get(unit):
            waiting.extend(successors[unit])
        else:
            latest.append(unit)
    return latest


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

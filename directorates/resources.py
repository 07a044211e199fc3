from django.utils.translation import gettext_lazy as _

from foreignpolicy.columns import Column, PartialDateWidget, PositionWidget, RecordWidget, TextWidget
from foreignpolicy.importing import RecordResource
from foreignpolicy.imports.checking import naming_own_record
from foreignpolicy.imports.duplicates import SameValues
from foreignpolicy.imports.problems import Problem

from .models import Directorate, closes_a_cycle


class DirectorateResource(RecordResource):
    acronym = Column("acronym")
    name_en = Column("name_en")
    name_es = Column("name_es")
    parent = Column("parent", RecordWidget(Directorate, label=_("directorate"), by_acronym=True))
    body_en = Column("body_en", TextWidget(markdown=True))
    body_es = Column("body_es", TextWidget(markdown=True))
    position = Column("position", PositionWidget())
    predecessors = Column(
        "predecessors", RecordWidget(Directorate, label=_("directorate"), many=True), relations=["predecessors"]
    )
    formed_on = Column("formed_on", PartialDateWidget(), attribute="formed")
    dissolved_on = Column("dissolved_on", PartialDateWidget(), attribute="dissolved")

    class Meta:
        model = Directorate
        name = "directorates"
        fields = (
            "slug",
            "acronym",
            "name_en",
            "name_es",
            "parent",
            "summary_en",
            "summary_es",
            "body_en",
            "body_es",
            "topics",
            "position",
            "predecessors",
            "formed_on",
            "dissolved_on",
            "published",
            "publish_at",
        )
        export_order = fields
        import_id_fields = ("slug",)

    examples = (
        {
            "slug": "dg-asia-oceania",
            "acronym": "DAO",
            "name_en": "Directorate-General for Asia and Oceania",
            "name_es": "Dirección General de Asia y Oceanía",
            "summary_en": "Conducts Peru's relations with the countries of Asia and Oceania.",
            "summary_es": "Conduce las relaciones del Perú con los países de Asia y Oceanía.",
            "topics": "trade; science-technology-and-innovation",
            "position": "5",
            "published": "no",
        },
        {
            "slug": "northeast-asia",
            "name_en": "Directorate for Northeast Asia",
            "name_es": "Dirección de Asia Nororiental",
            "parent": "DAO",
            "body_en": "- China\n- Japan\n- Republic of Korea",
            "body_es": "- China\n- Japón\n- República de Corea",
            "position": "1",
            "published": "no",
        },
    )
    cross_row_checks = [lambda rows, present: parent_cycles(rows, present), lambda rows, present: own_predecessor(rows)]
    duplicate_rules = [
        SameValues(_("the same acronym"), "acronym"),
        SameValues(_("the same English name"), "name_en"),
        SameValues(_("the same Spanish name"), "name_es"),
    ]


def own_predecessor(rows):
    """Problems for rows whose unit would carry on from itself."""
    message = _("A directorate cannot carry on from itself (“%(slug)s”).")
    return naming_own_record(rows, "predecessors", lambda unit: message % {"slug": unit.slug})


def parent_cycles(rows, present):
    """Problems for rows whose parent would make a unit part of itself."""
    if "parent" not in present:
        return []
    parent_of = dict(Directorate.objects.values_list("slug", "parent__slug"))
    in_file = [row for row in rows if "parent" in row.values]
    for row in in_file:
        parent = row.values["parent"]
        parent_of[row.slug] = parent.slug if parent else None
    return [
        Problem(
            row.number,
            "parent",
            _("“%(parent)s” is “%(slug)s” itself or one of its sub-units, so a directorate would be part of itself.")
            % {"parent": row.values["parent"].slug, "slug": row.slug},
        )
        for row in in_file
        if row.values["parent"] and closes_a_cycle(row.slug, row.values["parent"].slug, parent_of)
    ]

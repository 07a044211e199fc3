"""Installs the countries, international organisations and topics.

Countries come from django-countries (ISO 3166-1), with the common English name and its
Spanish translation shipped in that package; the few it leaves untranslated are named here.
"""

import gettext
from pathlib import Path

from django.db import migrations

SPANISH_NAMES = {
    "BS": "Bahamas",
    "CD": "República Democrática del Congo",
    "GS": "Islas Georgias del Sur y Sandwich del Sur",
    "NR": "Nauru",
    "PS": "Palestina",
    "SH": "Santa Elena",
    "VA": "Ciudad del Vaticano",
}
ENGLISH_NAMES = {"NR": "Nauru", "BS": "Bahamas"}
OTHER_NAMES = {
    "US": "United States; Estados Unidos de América; EE. UU.; EEUU",
    "GB": "Great Britain; Gran Bretaña",
    "KR": "Korea; Republic of Korea; Corea; República de Corea",
    "TR": "Turkey; Turquia",
    "TW": "Chinese Taipei; Taipéi Chino",
    "RU": "Russian Federation; Federación de Rusia; Federación Rusa",
    "NL": "Holland; Holanda",
    "CI": "Ivory Coast",
    "CZ": "Czech Republic; República Checa",
    "VN": "Viet Nam",
    "BO": "Plurinational State of Bolivia; Estado Plurinacional de Bolivia",
    "VE": "Bolivarian Republic of Venezuela; República Bolivariana de Venezuela",
}

ORGANISATIONS = [
    # slug, English name, Spanish name, English acronym, Spanish acronym
    ("un", "United Nations", "Organización de las Naciones Unidas", "UN", "ONU"),
    ("oas", "Organization of American States", "Organización de los Estados Americanos", "OAS", "OEA"),
    ("eu", "European Union", "Unión Europea", "EU", "UE"),
    ("efta", "European Free Trade Association", "Asociación Europea de Libre Comercio", "EFTA", "AELC"),
    ("mercosur", "Southern Common Market", "Mercado Común del Sur", "Mercosur", "Mercosur"),
    ("andean-community", "Andean Community", "Comunidad Andina", "CAN", "CAN"),
    ("pacific-alliance", "Pacific Alliance", "Alianza del Pacífico", "", ""),
    ("apec", "Asia-Pacific Economic Cooperation", "Foro de Cooperación Económica Asia-Pacífico", "APEC", "APEC"),
    ("wto", "World Trade Organization", "Organización Mundial del Comercio", "WTO", "OMC"),
    (
        "oecd",
        "Organisation for Economic Co-operation and Development",
        "Organización para la Cooperación y el Desarrollo Económicos",
        "OECD",
        "OCDE",
    ),
    (
        "celac",
        "Community of Latin American and Caribbean States",
        "Comunidad de Estados Latinoamericanos y Caribeños",
        "CELAC",
        "CELAC",
    ),
    ("unasur", "Union of South American Nations", "Unión de Naciones Suramericanas", "UNASUR", "UNASUR"),
    (
        "prosur",
        "Forum for the Progress of South America",
        "Foro para el Progreso de América del Sur",
        "PROSUR",
        "PROSUR",
    ),
    # "NAM" would be read as Namibia's ISO alpha-3 code, so the English acronym stays empty.
    ("non-aligned-movement", "Non-Aligned Movement", "Movimiento de Países No Alineados", "", "MNA"),
    ("imo", "International Maritime Organization", "Organización Marítima Internacional", "IMO", "OMI"),
    (
        "unesco",
        "United Nations Educational, Scientific and Cultural Organization",
        "Organización de las Naciones Unidas para la Educación, la Ciencia y la Cultura",
        "UNESCO",
        "UNESCO",
    ),
    (
        "ipcc",
        "Intergovernmental Panel on Climate Change",
        "Grupo Intergubernamental de Expertos sobre el Cambio Climático",
        "IPCC",
        "IPCC",
    ),
    (
        "unodc",
        "United Nations Office on Drugs and Crime",
        "Oficina de las Naciones Unidas contra la Droga y el Delito",
        "UNODC",
        "UNODC",
    ),
    ("nato", "North Atlantic Treaty Organization", "Organización del Tratado del Atlántico Norte", "NATO", "OTAN"),
]

TOPICS = [
    ("trade", "Trade", "Comercio"),
    ("security-and-defence", "Security and defence", "Seguridad y defensa"),
    ("drug-control", "Drug control", "Control de drogas"),
    ("human-rights", "Human rights", "Derechos humanos"),
    ("environment-and-climate-change", "Environment and climate change", "Medio ambiente y cambio climático"),
    ("democracy-and-anti-corruption", "Democracy and anti-corruption", "Democracia y lucha contra la corrupción"),
    ("migration-and-consular-affairs", "Migration and consular affairs", "Migración y asuntos consulares"),
    ("development-cooperation", "Development cooperation", "Cooperación para el desarrollo"),
    ("science-technology-and-innovation", "Science, technology and innovation", "Ciencia, tecnología e innovación"),
    ("health", "Health", "Salud"),
    ("culture", "Culture", "Cultura"),
]


def countries():
    import django_countries
    from django_countries import countries as iso_countries

    locale = Path(django_countries.__file__).parent / "locale"
    spanish = gettext.translation("django", localedir=locale, languages=["es"])
    for country in iso_countries:
        english = str(iso_countries.name(country.code))
        yield {
            "code": country.code,
            "alpha3": iso_countries.alpha3(country.code),
            "name_en": ENGLISH_NAMES.get(country.code, english),
            "name_es": SPANISH_NAMES.get(country.code, spanish.gettext(english)),
            "other_names": OTHER_NAMES.get(country.code, ""),
        }


def install(apps, schema_editor):
    Country = apps.get_model("foreignpolicy", "Country")
    Organisation = apps.get_model("foreignpolicy", "Organisation")
    Topic = apps.get_model("foreignpolicy", "Topic")
    Country.objects.bulk_create(Country(**values) for values in countries())
    Organisation.objects.bulk_create(
        Organisation(slug=slug, name_en=en, name_es=es, acronym_en=acronym_en, acronym_es=acronym_es, position=i)
        for i, (slug, en, es, acronym_en, acronym_es) in enumerate(ORGANISATIONS)
    )
    Topic.objects.bulk_create(
        Topic(slug=slug, name_en=en, name_es=es, position=i) for i, (slug, en, es) in enumerate(TOPICS)
    )


def uninstall(apps, schema_editor):
    for name in ("Country", "Organisation", "Topic"):
        apps.get_model("foreignpolicy", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("foreignpolicy", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]

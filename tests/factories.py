"""factory_boy factories for the record kinds and agreements' parts; vocabularies come from the data migrations."""

import datetime

import factory
from django.contrib.auth.models import Permission

from agreements.models import Agreement, AgreementStatus, AgreementType, Participant, Step, StepKind
from directorates.models import Directorate
from events.models import Event, EventType
from foreignpolicy.models import Country


class DirectorateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Directorate

    name_en = factory.Sequence(lambda n: f"Directorate {n}")
    name_es = factory.Sequence(lambda n: f"Dirección {n}")
    slug = factory.Sequence(lambda n: f"directorate-{n}")
    is_published = True


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    title_en = factory.Sequence(lambda n: f"Agreement {n}")
    title_es = factory.Sequence(lambda n: f"Acuerdo {n}")
    slug = factory.Sequence(lambda n: f"agreement-{n}")
    type = factory.LazyFunction(lambda: AgreementType.objects.get(slug="free-trade-agreement"))
    status = factory.LazyFunction(lambda: AgreementStatus.objects.get(code="in_force"))
    signed_on = datetime.date(2006, 4, 12)
    is_published = True


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    agreement = factory.SubFactory(AgreementFactory)
    kind = factory.LazyFunction(lambda: StepKind.objects.get(slug="ratification"))
    date = datetime.date(2008, 3, 4)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    agreement = factory.SubFactory(AgreementFactory)
    country = factory.Iterator(Country.objects.order_by("code"))


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title_en = factory.Sequence(lambda n: f"Event {n}")
    title_es = factory.Sequence(lambda n: f"Evento {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    date = datetime.date(2025, 12, 10)
    type = factory.LazyFunction(lambda: EventType.objects.get(slug="summit"))
    is_published = True


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member with only the permissions named ("app_label.codename")."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    is_staff = True

    @factory.post_generation
    def permissions(self, create, names, **kwargs):
        for name in names or ():
            app_label, codename = name.split(".")
            self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

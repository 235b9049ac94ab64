"""factory_boy factories for CRM models. Use inside a tenant (the `tenant` fixture)."""

from decimal import Decimal

import factory

from crm.models import Lead, Stage, Tag, TimelineEntry
from crm.search import search_text_for


def stage(key: str) -> Stage:
    """A default stage by key: new, contacted, interested, negotiation, won, lost."""
    return Stage.objects.get(key=key)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    phone = factory.Sequence(lambda n: f"+3461{n:07d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda lead: f"{lead.first_name}.{lead.last_name}@example.com".lower())
    company = factory.Faker("company")
    stage = factory.LazyFunction(lambda: stage("new"))
    source = Lead.Source.MANUAL
    expected_value = Decimal("1000.00")
    search_text = factory.LazyAttribute(
        lambda lead: search_text_for(
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            company=lead.company,
            phone=lead.phone,
        )
    )


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    lead = factory.SubFactory(LeadFactory)
    kind = TimelineEntry.Kind.NOTE
    body = factory.Faker("sentence")

"""Existing leads' phones in the canonical form of core.phones (Mexican numbers without the old '1',
Argentine mobiles with their '9'), so that WhatsApp messages find them. Leads are not merged: when a
lead's canonical phone already belongs to another lead, it keeps its phone and a warning names both."""

import logging

from django.db import migrations

logger = logging.getLogger("crm.migrations")


def renormalize_phones(apps, schema_editor):
    from core.errors import ApplicationError
    from core.phones import normalize_phone
    from crm.search import search_text_for

    if schema_editor.connection.schema_name == "public":
        return
    Lead = apps.get_model("crm", "Lead")
    taken = set(Lead.objects.values_list("phone", flat=True))
    fields = ("first_name", "last_name", "email", "company", "phone")
    for lead in Lead.objects.only(*fields).order_by("id").iterator(chunk_size=2000):
        try:
            canonical = normalize_phone(lead.phone, region="")
        except ApplicationError:
            logger.warning("lead %s: stored phone is not a valid number, left as it is", lead.pk)
            continue
        if canonical == lead.phone:
            continue
        if canonical in taken:
            other = Lead.objects.filter(phone=canonical).values_list("pk", flat=True).first()
            logger.warning(
                "lead %s: phone left as it is, its canonical form belongs to lead %s (not merged)", lead.pk, other
            )
            continue
        taken.discard(lead.phone)
        taken.add(canonical)
        lead.phone = canonical
        lead.search_text = search_text_for(
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            company=lead.company,
            phone=canonical,
        )
        lead.save(update_fields=["phone", "search_text"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_search_expression_index")]

    operations = [migrations.RunPython(renormalize_phones, migrations.RunPython.noop)]

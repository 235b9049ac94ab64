from django.db import migrations


class Migration(migrations.Migration):
    """Joins the imports/merge/lost-reasons line (crm7a) with the documents' origin field."""

    dependencies = [
        ("crm", "0009_document_origin"),
        ("crm", "0009_merge_crm7a_documents"),
    ]

    operations = []

"""Joins the board and list comforts (rotting limits, saved views) with the closers, forecast and rollups."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_board_list_comforts"),
        ("crm", "0013_rollups"),
    ]

    operations = []

"""The demo's sandbox Meta account: campaigns, a month of insights, attributed leads with won deals, so
the hub shows real numbers on a fresh install; idempotent; never the network."""

from __future__ import annotations

from io import StringIO

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from crm import demo as crm_demo
from crm.models import Lead
from marketing import demo
from marketing.models import Campaign, Insight, MetaConnection, WhatsAppTemplate
from marketing.selectors.hub import hub
from tenants.models import Role

pytestmark = pytest.mark.django_db


def test_demo_marketing(acme, make_member, settings):
    settings.META_GRAPH_URL = "http://127.0.0.1:9"  # a connection refused, were anything to reach out
    for key, role in (("owner", Role.OWNER), ("seller1", Role.SELLER)):
        make_member(acme, role, email=f"{key}@acme.test")
    with tenant_context(acme):
        crm_demo.seed(tenant=acme, stdout=StringIO())
        assert demo.seed(tenant=acme, stdout=StringIO()) == 3 * 2 * 2 * 30
        assert MetaConnection.objects.get().sandbox
        assert Campaign.objects.count() == 3
        assert Insight.objects.count() == 360
        assert WhatsAppTemplate.objects.filter(status="APPROVED").count() == 2
        attributed = Lead.objects.exclude(meta_campaign_id="")
        assert attributed.count() > 20
        today = timezone.localdate()
        figures = hub(tenant=acme, date_from=today - timezone.timedelta(days=29), date_to=today)
        assert figures.total.spend > 0
        assert (
            figures.total.leads == attributed.filter(created_at__date__gte=today - timezone.timedelta(days=29)).count()
        )
        assert figures.total.won > 0
        assert figures.total.revenue > 0
        assert figures.total.roi is not None
        again = StringIO()
        assert demo.seed(tenant=acme, stdout=again) == 0
        assert "already present" in again.getvalue()

"""Product reads: the searchable list."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from crm.models import Product


def product_list(*, search: str = "", show: str = "") -> QuerySet[Product]:
    """Active products by name (`show`: "archived" for the inactive ones, "all" for both), matching
    `search` in the name, the internal reference or the description."""
    products = Product.objects.all()
    if show == "archived":
        products = products.filter(active=False)
    elif show != "all":
        products = products.filter(active=True)
    search = (search or "").strip()
    if search:
        products = products.filter(
            Q(name__icontains=search) | Q(sku__icontains=search) | Q(description__icontains=search)
        )
    return products.order_by("name", "id")

"""CRM models (tenant schema). Leads and their history in `crm.models.leads`; products and sales documents
in `crm.models.documents`; saved views, list columns and bulk jobs in `crm.models.lists`. Import them
from here: `from crm.models import Lead, SalesDocument`.

Star imports on purpose: every model and helper those modules define is importable from `crm.models`
(migrations name `crm.models.lead_document_path`), without a list here to keep in step."""

from crm.models.documents import *  # noqa: F403
from crm.models.leads import *  # noqa: F403
from crm.models.lists import *  # noqa: F403
from crm.models.rollups import *  # noqa: F403

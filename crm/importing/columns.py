"""The lead fields a spreadsheet column can fill, and every name a column may carry for each: the label
the product shows (in English, Spanish and French, so a file exported in any language comes back), the
model's own field name, and the usual words of other tools (Meta lead ads, other CRMs)."""

from __future__ import annotations

import hashlib
import re
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from unidecode import unidecode

# The fields in the order the mapping step offers them. The labels are the ones the export writes as
# headers, so an exported file maps itself back.
FIELDS = {
    "phone": _("Phone"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "full_name": _("Full name"),
    "email": _("Email"),
    "company": _("Company"),
    "stage": _("Stage"),
    "seller": _("Seller"),
    "source": _("Source"),
    "tags": _("Tags"),
    "expected_value": _("Expected value"),
    "score": _("Score"),
    "score_reason": _("Score reason"),
    "language": _("Preferred language"),
    "notes": _("Summary"),
    "next_action": _("Next step"),
    "next_action_at": _("Next step due"),
    "last_contact_at": _("Last contact"),
    "created_at": _("Created"),
    "closed_at": _("Closed"),
    "lost_reason": _("Lost reason"),
    "meta_campaign_id": _("Meta campaign id"),
    "meta_adset_id": _("Meta ad set id"),
    "meta_ad_id": _("Meta ad id"),
    "ad_headline": _("Ad headline"),
    "ad_body": _("Ad text"),
    "click_id": _("Click id"),
    "utm_source": _("UTM source"),
    "utm_medium": _("UTM medium"),
    "utm_campaign": _("UTM campaign"),
    "utm_term": _("UTM term"),
    "utm_content": _("UTM content"),
}

# Other names (folded, see header_key) in English, Spanish and French, and those of other tools.
ALIASES = {
    "phone": [
        "phone_number", "telephone", "tel", "telefono", "numero", "numero_de_telefono", "movil", "mobile",
        "cellphone", "celular", "whatsapp", "portable", "mobile_phone", "telefono_movil",
    ],
    "first_name": ["firstname", "given_name", "nombre", "prenom"],
    "last_name": ["lastname", "surname", "family_name", "apellido", "apellidos", "nom", "nom_de_famille"],
    "full_name": ["name", "contact", "nombre_completo", "nom_complet", "contacto", "contact_name"],
    "email": ["e_mail", "mail", "email_address", "correo", "correo_electronico", "courriel", "adresse_email"],
    "company": ["company_name", "empresa", "compania", "societe", "entreprise", "organisation", "organization"],
    "stage": ["etapa", "etape", "status", "estado", "statut", "pipeline_stage", "fase"],
    "seller": [
        "seller_email", "seller_name", "salesperson", "sales_rep", "owner", "owner_email", "assigned_to",
        "vendedor", "vendedora", "comercial", "asignado_a", "responsable", "commercial", "vendeur", "attribue_a",
    ],
    "source": ["lead_source", "origen", "fuente", "origine", "canal", "channel"],
    "tags": ["tag", "labels", "etiquetas", "etiqueta", "etiquettes", "etiquette"],
    "expected_value": ["value", "amount", "valor", "valor_esperado", "importe", "valeur", "montant", "deal_value"],
    "score": ["rating", "temperature", "puntuacion", "calificacion", "temperatura"],
    "score_reason": ["motivo_puntuacion", "raison_du_score"],
    "language": ["lang", "idioma", "langue"],
    "notes": ["note", "comments", "comment", "summary", "notas", "comentarios", "commentaires", "resume"],
    "next_action": ["next_step", "siguiente_paso", "proximo_paso", "prochaine_etape"],
    "next_action_at": ["next_step_due", "next_step_date", "fecha_del_siguiente_paso", "date_prochaine_etape"],
    "last_contact_at": ["last_contact", "ultimo_contacto", "dernier_contact"],
    "created_at": ["created", "created_time", "creation_date", "fecha_de_creacion", "creado", "date_de_creation"],
    "closed_at": ["closed", "close_date", "fecha_de_cierre", "date_de_cloture"],
    "lost_reason": ["motivo_de_perdida", "raison_de_la_perte", "why_lost"],
    "meta_campaign_id": ["campaign_id", "campaign", "campana", "campagne"],
    "meta_adset_id": ["adset_id", "ad_set_id", "adset", "ad_set", "conjunto_de_anuncios", "ensemble_de_publicites"],
    "meta_ad_id": ["ad_id", "ad", "anuncio", "annonce", "publicite"],
    "ad_headline": ["headline", "titulo_del_anuncio", "titre_de_l_annonce"],
    "ad_body": ["ad_text", "ad_body", "texto_del_anuncio", "texte_de_l_annonce"],
    "click_id": ["fbclid", "gclid"],
}  # fmt: skip

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accent-free: 'Téléphone' -> 'telephone'."""
    return unidecode(text or "").lower().strip()


def header_key(header: str) -> str:
    """'Téléphone ' -> 'telephone', 'First Name' -> 'first_name', 'E-mail' -> 'e_mail'."""
    return _NON_WORD.sub("_", fold(header)).strip("_")


@cache
def alias_table() -> dict[str, str]:
    """{folded header: field}. A field's own code and its labels in every language come first, then the
    other words; a name already taken by another field stays with the first one (tests check that no
    label of the product means two fields)."""
    from crm.models import Lead

    table: dict[str, str] = {}
    model_fields = {model_field.name: model_field for model_field in Lead._meta.fields}

    def add(name: str, field: str) -> None:
        key = header_key(name)
        if key:
            table.setdefault(key, field)

    for field in FIELDS:
        add(field, field)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for field, label in FIELDS.items():
                add(str(label), field)
                if field in model_fields:
                    add(str(model_fields[field].verbose_name), field)
    for field, names in ALIASES.items():
        for name in names:
            add(name, field)
    return table


def field_for_header(header: str) -> str | None:
    return alias_table().get(header_key(header))


def auto_mapping(headers: list[str]) -> list[str | None]:
    """The lead field each column fills (None: ignored). A field is filled by its first column only."""
    taken: set[str] = set()
    mapping: list[str | None] = []
    for header in headers:
        field = field_for_header(header)
        if field in taken:
            field = None
        if field:
            taken.add(field)
        mapping.append(field)
    return mapping


def headers_key(headers: list[str]) -> str:
    """Identifies a set of headers (same names, same order, whatever the case and accents), to remember
    the mapping chosen for files shaped like this one."""
    joined = "\x1f".join(header_key(header) for header in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def label(field: str | None) -> str:
    return str(FIELDS[field]) if field in FIELDS else ""

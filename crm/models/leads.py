"""CRM models of leads (tenant schema): stages, leads, tags, the customer history timeline, lead files, imports."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel, user_reference

# What lead search matches: the vector of `Lead.search_text`, stored in `Lead.search_vector`.
SEARCH_VECTOR = SearchVector("search_text", config="simple")


class Stage(TimeStampedModel):
    """A pipeline column. `kind` keeps won and lost meaningful for analytics whatever the name."""

    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("stage kind", "Open")
        WON = "won", pgettext_lazy("stage kind", "Won")
        LOST = "lost", pgettext_lazy("stage kind", "Lost")

    DEFAULT_NAMES = {
        "new": _("New"),
        "contacted": _("Contacted"),
        "interested": _("Interested"),
        "negotiation": _("Negotiation"),
        "won": _("Closed won"),
        "lost": _("Closed lost"),
    }

    key = models.SlugField(max_length=32, blank=True, help_text=_("Set for the default stages; empty for added ones."))
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("Empty: the default name, translated."))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OPEN)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The share of an open stage's deals expected to be won, in percent: weights the pipeline and the forecast.
    win_probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )

    # What the owner starts with for the default open stages (editable on the stage settings page).
    DEFAULT_PROBABILITIES = {"new": 10, "contacted": 20, "interested": 40, "negotiation": 60}
    # Pipedrive's "rotting": a card that stays longer than this turns a warning colour. Empty: never.
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"),
        null=True,
        blank=True,
        help_text=_("A card that stays longer in this stage is highlighted. Empty: never."),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return str(self.DEFAULT_NAMES.get(self.key, self.key))

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Lead(TimeStampedModel):
    class Source(models.TextChoices):
        META_ADS = "meta_ads", _("Meta Ads")
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        WHATSAPP = "whatsapp", _("WhatsApp")
        MANUAL = "manual", _("Manual")
        IMPORT = "import", _("Import")

    class Score(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    phone = models.CharField(_("phone"), max_length=20, unique=True, help_text=_("E.164, e.g. +34612345678"))
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    email = models.EmailField(_("email"), blank=True)
    company = models.CharField(_("company"), max_length=120, blank=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="leads", verbose_name=_("stage"))
    stage_changed_at = models.DateTimeField(_("in this stage since"), auto_now_add=True)
    seller = user_reference(verbose_name=_("seller"))  # a deleted user reads as "unassigned"
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads", verbose_name=_("tags"))
    expected_value = models.DecimalField(_("expected value"), max_digits=12, decimal_places=2, default=0)
    score = models.CharField(_("score"), max_length=8, choices=Score.choices, blank=True)
    score_reason = models.CharField(_("score reason"), max_length=255, blank=True)
    language = models.CharField(_("preferred language"), max_length=5, blank=True)
    notes = models.TextField(_("summary"), blank=True)
    next_action = models.CharField(_("next step"), max_length=160, blank=True)
    next_action_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Who had the lead when it entered a won or lost stage, and the open stage it left: set by lead_move,
    # cleared when it is reopened. Analytics credits wins to the closer, so a later reassignment moves
    # the open work, not the revenue already won.
    closed_seller = user_reference(verbose_name=_("closed by"))
    closed_from_stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("closed from")
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    lost_note = models.CharField(_("lost reason note"), max_length=255, blank=True)
    # Set when the person's data was erased on request (GDPR): the row stays, anonymous, for the figures.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    # Ad attribution (Meta lead ads, click-to-WhatsApp) and UTM parameters.
    meta_campaign_id = models.CharField(_("Meta campaign id"), max_length=64, blank=True)
    meta_adset_id = models.CharField(_("Meta ad set id"), max_length=64, blank=True)
    meta_ad_id = models.CharField(_("Meta ad id"), max_length=64, blank=True)
    ad_headline = models.CharField(_("ad headline"), max_length=255, blank=True)
    ad_body = models.TextField(_("ad body"), blank=True)
    click_id = models.CharField(_("click id"), max_length=255, blank=True)
    utm_source = models.CharField("utm_source", max_length=100, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=100, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=100, blank=True)
    utm_term = models.CharField("utm_term", max_length=100, blank=True)
    utm_content = models.CharField("utm_content", max_length=100, blank=True)
    # Lower-cased, accent-free words of the name, email and company, and the phone's digit tokens
    # (crm.search.search_text_for).
    search_text = models.TextField(editable=False, default="")
    # Its tsvector, kept by PostgreSQL (a stored generated column) and GIN-indexed for word-prefix search.
    # Stored rather than an expression index: a search that walks another index (a page sorted by name)
    # tests each lead it passes by reading the vector instead of computing it again from the text.
    search_vector = models.GeneratedField(
        expression=SEARCH_VECTOR, output_field=SearchVectorField(), db_persist=True, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["stage", "-stage_changed_at"], name="lead_stage_moved_idx"),
            # A seller's board column and list page walk these in order (LIMIT), whatever the company's size.
            models.Index(fields=["seller", "stage", "-stage_changed_at"], name="lead_seller_stage_moved_idx"),
            models.Index(fields=["seller", "-created_at", "-id"], name="lead_seller_created_idx"),
            models.Index(fields=["source"], name="lead_source_idx"),
            models.Index(fields=["score"], name="lead_score_idx"),
            # The list's sorts (crm.selectors.leads.SORTS), each with the id that breaks its ties, so a page
            # walks the index (either way) and stops at the page's end instead of sorting every lead.
            models.Index(fields=["first_name", "id"], name="lead_name_sort_idx"),
            models.Index(fields=["expected_value", "id"], name="lead_value_sort_idx"),
            models.Index(fields=["last_contact_at", "id"], name="lead_last_contact_sort_idx"),
            models.Index(fields=["next_action_at", "id"], name="lead_next_action_sort_idx"),
            models.Index(fields=["stage", "id"], name="lead_stage_sort_idx"),
            models.Index(fields=["closed_at"], name="lead_closed_idx"),
            models.Index(fields=["meta_campaign_id"], name="lead_campaign_idx"),
            GinIndex(fields=["search_vector"], name="lead_search_vector_idx"),
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return str(_("Erased lead #%(id)s") % {"id": self.pk})
        return self.full_name or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class TimelineEntry(models.Model):
    """One thing that happened to a lead. Written only by `crm.services.timeline.timeline_add`.

    `kind` is open-ended so later capabilities add their own (message, appointment, sales document,
    Odoo sync); `data` holds what each kind needs to render itself."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        DOCUMENT = "document", _("Document")
        STAGE = "stage", _("Stage change")
        ASSIGNMENT = "assignment", _("Assignment")
        UPDATE = "update", _("Update")
        IMPORT = "import", _("Import")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = user_reference()
    actor_label = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="timeline_lead_idx")]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind} {self.created_at:%Y-%m-%d}"


class CallOutcome(models.TextChoices):
    """How a call went, stored in a call entry's `data["outcome"]`: the one list of outcomes and their names."""

    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    BUSY = "busy", _("Busy")


def lead_document_path(instance: LeadDocument, filename: str) -> str:
    # The tenant storage adds the schema name in front of this path.
    return f"leads/{instance.lead_id}/{filename}"


class LeadDocument(TimeStampedModel):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=lead_document_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = user_reference(blank=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name


class AssignmentCursor(models.Model):
    """One row per tenant: the seller who got the last round-robin lead (locked while assigning)."""

    last_seller_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("assignment cursor")

    def __str__(self) -> str:
        return f"last seller {self.last_seller_id}"


class ImportJob(TimeStampedModel):
    """A CSV import: previewed on upload, then processed by a worker that reports progress here."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Assignment(models.TextChoices):
        RULE = "rule", _("The company's rule for new leads")
        UNASSIGNED = "unassigned", _("Leave them unassigned")
        ROUND_ROBIN = "round_robin", _("Round-robin among active sellers")
        SELLER = "seller", _("One person")

    file = models.FileField(upload_to="imports/", max_length=255)
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEW)
    created_by = user_reference(blank=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # The file's headers, and the lead field each column fills (None: ignored), chosen on the mapping step.
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=list, blank=True)
    # Who gets the rows that name no seller: the company's rule, nobody, round-robin, or `assign_to`.
    assignment = models.CharField(max_length=16, choices=Assignment.choices, default=Assignment.RULE)
    assign_to = user_reference()
    failure_reason = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ImportMapping(TimeStampedModel):
    """The mapping last confirmed for files with these headers (see crm.importing.columns.headers_key), so
    the next file shaped the same way is mapped the same way."""

    headers_key = models.CharField(max_length=64, unique=True)
    headers = models.JSONField(default=list)
    fields = models.JSONField(default=list)
    updated_by = user_reference()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return ", ".join(self.headers)[:80]


class LeadRedirect(models.Model):
    """A lead merged into another: links to the old id lead to the one that was kept."""

    old_id = models.BigIntegerField(unique=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("merged lead")
        verbose_name_plural = _("merged leads")

    def __str__(self) -> str:
        return f"{self.old_id} -> {self.lead_id}"


class LostReason(TimeStampedModel):
    """A reason a deal is lost, from the list the owners manage. `key` marks the default ones; "other" is
    always there and asks for a note."""

    OTHER = "other"
    DEFAULT_NAMES = {
        "price": _("Too expensive"),
        "competitor": _("Went with a competitor"),
        "no_response": _("Stopped answering"),
        "not_interested": _("Not interested any more"),
        "timing": _("Not the right time"),
        OTHER: _("Other"),
    }

    key = models.SlugField(max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=80, blank=True, help_text=_("Empty: the default name, translated."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return str(self.DEFAULT_NAMES.get(self.key, self.key))

    @property
    def is_other(self) -> bool:
        return self.key == self.OTHER

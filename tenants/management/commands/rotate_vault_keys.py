from django.core.management.base import BaseCommand

from tenants.vault import vault_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored credential under the first key of VAULT_KEYS. Put the new key first, "
        "keep the old one after it, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        count = vault_rotate()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credential(s) under the newest key."))

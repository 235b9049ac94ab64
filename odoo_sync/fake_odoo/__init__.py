"""A stateful fake Odoo (14 to 19) on loopback, for the tests, the benchmark and manual checks."""

from odoo_sync.fake_odoo.base import Faults
from odoo_sync.fake_odoo.server import FakeOdooServer
from odoo_sync.fake_odoo.store import FakeOdoo

__all__ = ["FakeOdoo", "FakeOdooServer", "Faults"]

"""Every SQLAlchemy model, importable from one place (Alembic reads Base.metadata)."""

from guichet.domain.models.base import Base
from guichet.domain.models.identity import (
    Contact,
    ContactPermission,
    Invitation,
    LoginAttempt,
    OneTimeToken,
    Person,
    RoleAssignment,
    Session,
)
from guichet.domain.models.invoices import Invoice, InvoiceLine
from guichet.domain.models.operations import AuditEvent, CasbinRule, OutboxEmail
from guichet.domain.models.organisations import BillingAccount, Line, Organisation

__all__ = [
    "AuditEvent",
    "Base",
    "BillingAccount",
    "CasbinRule",
    "Contact",
    "ContactPermission",
    "Invitation",
    "Invoice",
    "InvoiceLine",
    "Line",
    "LoginAttempt",
    "OneTimeToken",
    "Organisation",
    "OutboxEmail",
    "Person",
    "RoleAssignment",
    "Session",
]

# Area modules that register their tables on Base.metadata when imported.
# Export jobs (reporting); ExportJob by name for the cross-tenant test.
# Billing profiles (the SavedPaymentMethod node type by name, for the cross-tenant test).
# API keys (ACCESS.md rule 14).
from guichet.domain.models import api_keys as api_keys  # noqa: E402
from guichet.domain.models import billing_profiles as billing_profiles  # noqa: E402

# Contracts (the cross-tenant test looks node types up here).
from guichet.domain.models import contracts as contracts  # noqa: E402
from guichet.domain.models import exports as exports  # noqa: E402
from guichet.domain.models import payments as payments  # noqa: E402

# Pending payments (the PendingPayment node type by name, for the cross-tenant test).
from guichet.domain.models import pending_payments as pending_payments  # noqa: E402

# Rewards (the RewardTransaction node type by name, for the cross-tenant test).
from guichet.domain.models import rewards as rewards  # noqa: E402
from guichet.domain.models import schedules as schedules  # noqa: E402
from guichet.domain.models import service_requests as service_requests  # noqa: E402

# The shop and orders (Offering and Order node types by name, for the cross-tenant test).
from guichet.domain.models import shop as shop  # noqa: E402

# Outgoing webhooks (node types by name, for the cross-tenant test).
from guichet.domain.models import webhooks as webhooks  # noqa: E402
from guichet.domain.models.api_keys import ApiKey as ApiKey  # noqa: E402
from guichet.domain.models.billing_profiles import SavedPaymentMethod as SavedPaymentMethod  # noqa: E402
from guichet.domain.models.contracts import Contract as Contract  # noqa: E402
from guichet.domain.models.exports import ExportJob as ExportJob  # noqa: E402
from guichet.domain.models.pending_payments import PendingPayment as PendingPayment  # noqa: E402
from guichet.domain.models.rewards import RewardTransaction as RewardTransaction  # noqa: E402

# The Schedule node type by name (the cross-tenant test looks node types up here).
from guichet.domain.models.schedules import Schedule as Schedule  # noqa: E402

# Node types of service requests by name (the cross-tenant test looks node types up here).
from guichet.domain.models.service_requests import Attachment as Attachment  # noqa: E402
from guichet.domain.models.service_requests import ServiceRequest as ServiceRequest  # noqa: E402
from guichet.domain.models.service_requests import ServiceRequestComment as ServiceRequestComment  # noqa: E402
from guichet.domain.models.shop import Cart as Cart  # noqa: E402
from guichet.domain.models.shop import Offering as Offering  # noqa: E402
from guichet.domain.models.shop import Order as Order  # noqa: E402
from guichet.domain.models.webhooks import Event as Event  # noqa: E402
from guichet.domain.models.webhooks import WebhookDelivery as WebhookDelivery  # noqa: E402
from guichet.domain.models.webhooks import WebhookEndpoint as WebhookEndpoint  # noqa: E402

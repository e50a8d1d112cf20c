"""Support rewards: the ledger, redemption against invoices, and the expiry job."""

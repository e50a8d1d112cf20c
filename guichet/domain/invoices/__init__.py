"""The invoices area's business: status rules, list queries, signed download links, PDF, e-mailed lists."""

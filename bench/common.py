"""What the dashboard benchmark's scripts share: where the data set lives and the query they run."""

from __future__ import annotations

import json
import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATASET_FILE = BENCH_DIR / ".dataset.json"
DATABASE = os.environ.get("GUICHET_BENCH_DATABASE", "guichet_bench")
PG_ADMIN_URL = os.environ.get("GUICHET_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"


def database_url(driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://", 1)
    return f"{base}/{DATABASE}"


def load_dataset() -> dict[str, object] | None:
    if not DATASET_FILE.exists():
        return None
    return json.loads(DATASET_FILE.read_text())  # type: ignore[no-any-return]


# The finance contact's dashboard page, as the peers' benchmark (peer-dashboard-query.graphql):
# 50 invoices by due date with billing account, lines, payments and totalCount.
DASHBOARD_QUERY = """query Dashboard($id: ID!) {
  organisation(id: $id) {
    invoices(first: 50, orderBy: {field: DUE_DATE, direction: ASC}) {
      totalCount
      edges { node {
        id number status issueDate dueDate
        total { amount currency } amountPaid { amount currency } amountDue { amount currency }
        billingAccount { number name }
        lines { lineNumber description amount { amount currency } }
        payments { reference status amount { amount currency } }
      } }
    }
  }
}"""

# The project's full dashboard: the page plus the summary tiles and the viewer's permissions
# (what the portal's first screen asks for; tests/api/test_dashboard_statements.py counts it).
FULL_DASHBOARD_QUERY = """query FullDashboard($id: ID!) {
  organisation(id: $id) {
    me { permissions { module actions } }
    invoiceSummary { count total { amount currency } amountDue { amount currency }
                     byStatus { status count amountDue { amount currency } } }
    invoices(first: 50, orderBy: {field: DUE_DATE, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id number status issueDate dueDate
        total { amount currency } amountPaid { amount currency } amountDue { amount currency }
        billingAccount { number name }
        lines { lineNumber description amount { amount currency } }
        payments { reference status amount { amount currency } }
      } }
    }
  }
}"""

"""The project documents itself: README and docs/ link only to files of the repository, name every
setting the code reads, and carry the access table the policy is pinned to."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted((REPO / "docs").glob("*.md"))
DOCUMENTS = [REPO / "README.md", *DOCS]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_reference_documents_exist() -> None:
    assert {p.name for p in DOCS} >= {"feed.md", "access.md", "webhooks.md", "settings.md"}
    assert (REPO / "examples" / "feed.json").is_file()


def test_readme_and_docs_never_point_outside_the_repository() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/contract" not in text, document.name
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):  # http(s), mailto: outside links are fine
                continue
            assert (document.parent / target).resolve().exists(), f"{document.name} links to missing {target}"
            assert (document.parent / target).resolve().is_relative_to(REPO), f"{document.name}: {target}"


def test_readme_links_every_reference_document() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for document in DOCS:
        assert f"(docs/{document.name})" in readme, document.name


def test_every_setting_the_code_reads_is_documented() -> None:
    read = set()
    for source in (REPO / "guichet").rglob("*.py"):
        read |= set(re.findall(r"\bGUICHET_[A-Z_]+[A-Z]\b", source.read_text(encoding="utf-8")))
    documented = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert sorted(name for name in read if f"`{name}`" not in documented) == []


def test_the_access_table_for_users_is_the_one_the_policy_is_pinned_to() -> None:
    pinned = (REPO / "tests" / "data" / "ACCESS.md").read_text(encoding="utf-8")
    published = (REPO / "docs" / "access.md").read_text(encoding="utf-8")

    def rows(text: str) -> list[str]:
        section = text.split("## Default role permissions", 1)[1]
        return [line.strip() for line in section.splitlines() if re.match(r"^\| [A-Z_]+ \|", line.strip())]

    assert rows(published)[: len(rows(pinned))] == rows(pinned)

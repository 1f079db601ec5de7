"""The docs site builds with `mkdocs build --strict`: a broken link or anchor, a page left out of
the navigation or a missing page fails the build, and so this test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = str(Path(sys.executable).parent / "mkdocs")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MKDOCS, "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )


def copy_of_the_site(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ copied under tmp_path (the hooks stay the repository's)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    config["docs_dir"] = str(tmp_path / "docs")
    config["hooks"] = [str(ROOT / hook) for hook in config["hooks"]]
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def test_the_site_builds_strict_with_no_warning(tmp_path: Path) -> None:
    result = build(ROOT / "mkdocs.yml", tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    page = (tmp_path / "site" / "operator" / "configuration" / "index.html").read_text()
    assert "CLAWVAULT_DATABASE_URL" in page and "<!-- generated" not in page
    assert (tmp_path / "site" / "reference" / "openapi.json").exists()


def test_nothing_in_the_site_is_fetched_from_elsewhere(tmp_path: Path) -> None:
    assert build(ROOT / "mkdocs.yml", tmp_path / "site").returncode == 0
    for html in (tmp_path / "site").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for remote in ("fonts.googleapis.com", "fonts.gstatic.com", 'src="http', "src='http"):
            assert remote not in text, f"{html.relative_to(tmp_path)} loads {remote}"


@pytest.mark.parametrize(
    ("page", "broken"),
    [
        ("partner/errors.md", "[gone](no-such-page.md)"),
        ("partner/errors.md", "[gone](routes.md#no-such-heading)"),
    ],
)
def test_a_broken_link_fails_the_build(tmp_path: Path, page: str, broken: str) -> None:
    target = broken[broken.index("(") + 1 : -1].split("#")[-1]
    config = copy_of_the_site(tmp_path)
    path = tmp_path / "docs" / page
    path.write_text(path.read_text(encoding="utf-8") + f"\n{broken}\n", encoding="utf-8")
    result = build(config, tmp_path / "site")
    assert result.returncode != 0, result.stdout + result.stderr
    assert target in result.stdout + result.stderr


def test_a_page_left_out_of_the_navigation_fails_the_build(tmp_path: Path) -> None:
    config = copy_of_the_site(tmp_path)
    (tmp_path / "docs" / "orphan.md").write_text("# Nobody links here\n", encoding="utf-8")
    result = build(config, tmp_path / "site")
    assert result.returncode != 0 and "orphan.md" in result.stdout + result.stderr


def test_the_readme_is_short_begins_with_the_two_commands_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links into docs/"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == [], f"README links to missing files: {missing}"

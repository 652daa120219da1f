"""File discovery: excludes, .gitignore, force-exclude, symlinks, determinism (promptlint/discovery.py)."""

import os
from pathlib import Path

import pytest

from promptlint.config import DEFAULT_EXCLUDE
from promptlint.discovery import discover, display_path
from promptlint.errors import DiscoveryError
from promptlint.settings import Settings


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def settings(root: Path, **kw) -> Settings:
    return Settings(root=str(root), exclude=list(DEFAULT_EXCLUDE), **kw)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_py_files_sorted_stubs_and_other_files_skipped(project):
    touch(project, "b.py", "a.py", "pkg/z.py", "pkg/__init__.py", "pkg/types.pyi", "README.md", "setup.cfg")
    assert discover(["."], settings(project)) == ["a.py", "b.py", "pkg/__init__.py", "pkg/z.py"]


def test_notebooks_are_found_but_not_their_checkpoints(project):
    touch(project, "a.py", "nb/one.ipynb", "nb/two.ipynb", "nb/.ipynb_checkpoints/one-checkpoint.ipynb")
    notices = []
    assert discover(["."], settings(project), notices) == ["a.py", "nb/one.ipynb", "nb/two.ipynb"]
    assert notices == []
    assert discover(["nb/two.ipynb"], settings(project)) == ["nb/two.ipynb"]


def test_default_excludes_at_any_depth(project):
    touch(project, "keep.py", ".venv/lib/x.py", "venv/x.py", "node_modules/x.py", "build/x.py", "dist/x.py",
          "src/__pycache__/x.py", "lib/site-packages/pkg/x.py", ".promptlint_cache/x.py", ".tox/x.py",
          ".mypy_cache/x.py", ".git/hooks/x.py", "src/build/x.py", "src/ok.py")
    assert discover(["."], settings(project)) == ["keep.py", "src/ok.py"]


def test_exclude_replaces_defaults_and_extend_exclude_adds(project):
    touch(project, "build/x.py", "legacy/old.py", "gen_pb2.py", "app.py", "sub/gen_pb2.py")
    s = settings(project, extend_exclude=["legacy/", "*_pb2.py"])
    assert discover(["."], s) == ["app.py"]
    s = Settings(root=str(project), exclude=["legacy/"])  # no defaults any more: build/ is linted
    assert discover(["."], s) == ["app.py", "build/x.py", "gen_pb2.py", "sub/gen_pb2.py"]


def test_exclude_patterns_are_anchored_at_the_root_not_the_cwd(project, monkeypatch):
    touch(project, "top.py", "sub/top.py", "sub/other.py")
    s = settings(project, extend_exclude=["/top.py"])  # anchored: only the root's top.py
    assert discover(["."], s) == ["sub/other.py", "sub/top.py"]
    monkeypatch.chdir(project / "sub")
    assert discover(["."], s) == ["other.py", "top.py"]  # display paths follow the cwd


def test_gitignore_files_are_honoured_with_nesting_and_negation(project):
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("private.py\n")
    (project / ".gitignore").write_text("generated/\n*_pb2.py\n")
    touch(project, "app.py", "generated/x.py", "api_pb2.py", "private.py",
          "sub/local.py", "sub/keep_pb2.py", "sub/mod.py")
    (project / "sub" / ".gitignore").write_text("local.py\n!keep_pb2.py\n")
    assert discover(["."], settings(project)) == ["app.py", "sub/keep_pb2.py", "sub/mod.py"]
    everything = discover(["."], settings(project, respect_gitignore=False))
    assert "generated/x.py" in everything and "private.py" in everything and "sub/local.py" in everything


def test_gitignore_above_the_checked_directory_applies(project, monkeypatch):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("secret/\n")
    touch(project, "src/app.py", "src/secret/x.py")
    monkeypatch.chdir(project / "src")
    assert discover(["."], settings(project / "src")) == ["app.py"]


def test_explicit_files_obey_excludes_unless_force_exclude_is_off(project):
    touch(project, "build/gen.py", "legacy/old.py", "app.py")
    s = settings(project, extend_exclude=["legacy/"])
    assert discover(["build/gen.py", "legacy/old.py", "app.py"], s) == ["app.py"]
    s.force_exclude = False
    assert discover(["build/gen.py", "legacy/old.py", "app.py"], s) == ["app.py", "build/gen.py", "legacy/old.py"]


def test_explicit_excluded_directory(project):
    touch(project, "build/x.py", "build/x_pb2.py", "build/node_modules/y.py")
    s = settings(project, extend_exclude=["*_pb2.py"])
    assert discover(["build"], s) == []
    s.force_exclude = False
    # Naming build/ lifts the pattern that excludes build/ itself, not the others.
    assert discover(["build"], s) == ["build/x.py"]


def test_explicit_gitignored_file_is_excluded(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("scratch.py\n")
    touch(project, "scratch.py")
    assert discover(["scratch.py"], settings(project)) == []


def test_explicit_file_of_any_extension_but_stubs(project):
    touch(project, "bin/tool", "types.pyi")
    assert discover(["bin/tool", "types.pyi"], settings(project)) == ["bin/tool"]


def test_missing_path_is_an_error(project):
    with pytest.raises(DiscoveryError, match="nope.py"):
        discover(["nope.py"], settings(project))


def test_duplicates_are_listed_once(project):
    touch(project, "pkg/a.py")
    assert discover(["pkg", "pkg/a.py", "."], settings(project)) == ["pkg/a.py"]


def test_paths_outside_the_cwd_are_absolute(tmp_path, monkeypatch):
    touch(tmp_path, "other/a.py")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert discover([str(tmp_path / "other")], settings(tmp_path / "here")) == [
        (tmp_path / "other" / "a.py").as_posix()]
    assert display_path(str(tmp_path / "here" / "x" / "y.py")) == "x/y.py"


def test_symlinks_out_of_the_root_are_not_followed(tmp_path, monkeypatch):
    outside, root = tmp_path / "outside", tmp_path / "root"
    touch(outside, "secret.py")
    touch(root, "app.py")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "linked.py").symlink_to(outside / "secret.py")
    monkeypatch.chdir(root)
    assert discover(["."], settings(root)) == ["app.py"]


def test_symlink_loops_terminate(project):
    touch(project, "pkg/a.py")
    (project / "pkg" / "loop").symlink_to(project / "pkg", target_is_directory=True)
    (project / "pkg" / "up").symlink_to(project, target_is_directory=True)
    assert discover(["."], settings(project)) == ["pkg/a.py"]


def test_symlink_to_a_sibling_inside_the_tree_is_not_a_duplicate(project):
    touch(project, "real/a.py")
    (project / "alias").symlink_to(project / "real", target_is_directory=True)
    assert discover(["."], settings(project)) == ["real/a.py"]


def test_broken_symlink_is_ignored(project):
    touch(project, "a.py")
    (project / "dangling.py").symlink_to(project / "missing.py")
    assert discover(["."], settings(project)) == ["a.py"]


def test_unreadable_directory_gives_a_notice_and_the_run_goes_on(project, monkeypatch):
    touch(project, "a.py", "locked/b.py")
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    notices = []
    assert discover(["."], settings(project), notices) == ["a.py"]
    assert notices == ["cannot read directory locked: Permission denied"]


def test_output_does_not_depend_on_directory_listing_order(project, monkeypatch):
    touch(project, "m.py", "a.py", "z/b.py", "b/c.py", "b-c.py")
    expected = discover(["."], settings(project))
    real_scandir = os.scandir

    class Reversed:
        def __init__(self, path):
            self.it = real_scandir(path)

        def __enter__(self):
            return reversed(list(self.it))

        def __exit__(self, *exc):
            self.it.close()

    monkeypatch.setattr(os, "scandir", Reversed)
    assert discover(["."], settings(project)) == expected == sorted(expected)


# -- the quick "does any pattern match?" in front of pathspec (discovery._Patterns)

TRICKY_PATTERNS = [
    "build/", "/anchored.py", "!keep.py", "docs/**/conf.py", "**/migrations", "logs/**", "a/**/b",
    "*.py[cod]", "\\!bang.py", "foo/*", "[!a]b.py", "sp\\ ace", "(?P<ps_d>x", "\\\\", "?.py",
    "\\#hash.py", "*_pb2.py", "x/y/", "/top/", "**", "dir/**/", "!/re/included/", "# comment", "",
]
TRICKY_PATHS = [
    "build", "src/build", "anchored.py", "sub/anchored.py", "keep.py", "deep/keep.py", "docs/conf.py",
    "docs/a/b/conf.py", "migrations", "app/migrations", "logs", "logs/x.py", "a/b", "a/x/y/b", "m.pyc",
    "!bang.py", "foo/bar.py", "foo/bar/baz.py", "bb.py", "ab.py", "sp ace", "(?P<ps_d>x", "\\", "z.py",
    "#hash.py", "api_pb2.py", "x/y", "top", "sub/top", "dir/q", "re/included", "plain.py", "weird\nname.py",
]


def _targets():
    for path in TRICKY_PATHS:
        yield path
        yield path + "/"


@pytest.mark.parametrize("count", [1, 3, len(TRICKY_PATTERNS)])
def test_quick_check_matches_exactly_where_some_pattern_does(count):
    from promptlint.discovery import _Patterns

    for start in range(len(TRICKY_PATTERNS)):
        lines = (TRICKY_PATTERNS * 2)[start:start + count]
        patterns = _Patterns(lines)
        assert patterns.any is not None, lines  # the quick check is really in use
        active = [p for p in patterns.spec.patterns if p.include is not None]
        for target in _targets():
            expected = any(p.match_file(target) is not None for p in active)
            assert patterns.could_match(target) == expected, (lines, target)
            if not expected:
                assert patterns.spec.check_file(target).include is None


def test_quick_check_falls_back_when_patterns_cannot_be_combined():
    import re

    from promptlint.discovery import _combined

    assert _combined([re.compile(r"^(a)\1")]) is None  # a numbered back-reference
    assert _combined([re.compile("^a", re.IGNORECASE)]) is None
    assert _combined([]).search("anything") is None


def test_nested_gitignore_overrides_its_parent_both_ways(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("gen/*.py\n!gen/kept.py\n")
    (project / "gen" / "sub").mkdir(parents=True)
    (project / "gen" / ".gitignore").write_text("!wanted.py\nkept.py\n")
    touch(project, "gen/wanted.py", "gen/kept.py", "gen/other.py", "gen/sub/deep.py", "app.py")
    assert discover(["."], settings(project)) == ["app.py", "gen/sub/deep.py", "gen/wanted.py"]


def test_gitignore_anchored_and_double_star_patterns(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("docs/**/conf.py\n**/migrations\n")
    (project / "sub").mkdir()
    (project / "sub" / ".gitignore").write_text("/gen.py\n")  # anchored at sub/, not at the root
    touch(project, "gen.py", "sub/gen.py", "sub/deeper/gen.py", "docs/conf.py", "docs/a/b/conf.py",
          "docs/a/keep.py", "app/migrations/0001.py", "app/models.py")
    assert discover(["."], settings(project)) == [
        "app/models.py", "docs/a/keep.py", "gen.py", "sub/deeper/gen.py"]


def test_directory_only_pattern_spares_a_file_of_that_name(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("scripts/\n")
    touch(project, "scripts/tool.py", "lib/scripts/x.py", "bin/scripts")
    assert discover(["."], settings(project)) == []
    assert discover(["bin/scripts"], settings(project)) == ["bin/scripts"]


def test_info_exclude_counts_only_when_no_gitignore_has_an_opinion(project):
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("# only comments here would change nothing\nlocal_*.py\n")
    (project / ".gitignore").write_text("!local_keep.py\n")
    touch(project, "local_a.py", "local_keep.py", "sub/local_b.py", "app.py")
    assert discover(["."], settings(project)) == ["app.py", "local_keep.py"]


def test_comment_only_ignore_files_change_nothing(project):
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("# nothing\n\n")
    (project / ".gitignore").write_text("# nothing either\n")
    touch(project, "a.py", "b/c.py")
    assert discover(["."], settings(project)) == ["a.py", "b/c.py"]


def test_config_excludes_with_negation_and_many_patterns(project):
    touch(project, "api_pb2.py", "keep_pb2.py", "sub/x_pb2.py", "tests/t.py", "app.py", "m1.py", "m2.py")
    filler = [f"nothing_{i}/" for i in range(40)]
    s = settings(project, extend_exclude=[*filler, "*_pb2.py", "!keep_pb2.py", "tests/", "/m1.py"])
    assert discover(["."], s) == ["app.py", "keep_pb2.py", "m2.py"]


def test_named_gitignored_directory_without_force_exclude_keeps_other_patterns(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("generated/\n*_pb2.py\n")
    touch(project, "generated/a.py", "generated/a_pb2.py", "generated/inner/b.py")
    s = settings(project)
    assert discover(["generated"], s) == []
    s.force_exclude = False
    assert discover(["generated"], s) == ["generated/a.py", "generated/inner/b.py"]


def test_files_through_a_symlinked_directory_are_judged_by_the_linked_path(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("real/\npkg/link/skip.py\n")
    touch(project, "real/a.py", "real/skip.py", "pkg/own.py")
    (project / "pkg" / "link").symlink_to(project / "real", target_is_directory=True)
    # Walking `.` the link is skipped (its target is in the tree) and real/ is ignored.
    assert discover(["."], settings(project)) == ["pkg/own.py"]
    # Walking pkg/ alone the target lies outside the walk but inside the root: it is
    # walked as pkg/link, and pkg/link/skip.py is the name the patterns see.
    assert discover(["pkg"], settings(project)) == ["pkg/link/a.py", "pkg/own.py"]


def test_a_nested_repository_stops_the_outer_gitignore(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("skip.py\n")
    touch(project, "skip.py", "app.py", "sub/skip.py", "sub/deeper/skip.py", "other/skip.py")
    (project / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")  # a submodule's .git is a file
    assert discover(["."], settings(project)) == ["app.py", "sub/deeper/skip.py", "sub/skip.py"]

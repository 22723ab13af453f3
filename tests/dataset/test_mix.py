"""Mixes: apportionment, preset matching, mix files, priority order."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.dataset.items import DatasetItem
from core.dataset.mix import METHOD_MIX, MixError, apportion, general_count, load_mix_file, method_mix, resolve_mix
from core.dataset.select import priority_order
from store.records import Book


def test_apportion_matches_method_mix_at_its_own_size() -> None:
    weights = {g: float(n) for g, n in METHOD_MIX.items()}
    assert apportion(weights, 3000) == METHOD_MIX


@pytest.mark.parametrize("size", [1, 7, 200, 333, 500, 1000, 2999, 10000])
def test_apportion_within_one_of_the_exact_share(size: int) -> None:
    weights = {g: float(n) for g, n in METHOD_MIX.items()}
    seats = apportion(weights, size)
    assert sum(seats.values()) == size
    total = sum(weights.values())
    for group, weight in weights.items():
        assert abs(seats[group] - size * weight / total) <= 1.0


def test_apportion_is_house_monotone() -> None:
    weights = {"a": 5.0, "b": 3.0, "c": 1.7, "d": 0.3}
    previous = apportion(weights, 0)
    for size in range(1, 400):
        seats = apportion(weights, size)
        assert all(seats[g] >= previous[g] for g in weights)
        previous = seats


def test_general_count_makes_the_ratio_of_the_whole() -> None:
    assert general_count(850, 0.15) == 150
    assert general_count(100, 0.0) == 0


def test_method_mix_matches_books_by_group_title_and_author() -> None:
    mix = method_mix()
    assert mix.resolve_group(Book(title="War and Peace", author="Leo Tolstoy")) == "War and Peace"
    assert mix.resolve_group(Book(title="Mrs. Dalloway", author="Virginia Woolf")) == "Mrs Dalloway"
    assert mix.resolve_group(Book(title="Swann's Way", author="Marcel Proust")) == "Proust"
    assert mix.resolve_group(Book(title="The Brothers Karamazov", author="Fyodor Dostoyevsky")) == "Dostoevsky"
    assert mix.resolve_group(Book(title="X", author="Y", group="phenomenology")) == "phenomenology"
    assert mix.resolve_group(Book(title="Anna Karenina", author="Leo Tolstoy")) is None


def test_mix_file_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "mix.toml"
    good.write_text('[mix]\n"Tolstoy" = 2\n"Woolf" = 1\n[match]\n"Woolf" = ["dalloway"]\n', encoding="utf-8")
    mix = resolve_mix(str(good))
    assert mix.shares() == pytest.approx({"Tolstoy": 2 / 3, "Woolf": 1 / 3})
    assert mix.resolve_group(Book(title="Mrs Dalloway", author="V.")) == "Woolf"
    bad = tmp_path / "bad.toml"
    bad.write_text('[mix]\n"A" = -1\n', encoding="utf-8")
    with pytest.raises(MixError, match="mix.A must be a number"):
        load_mix_file(bad)
    with pytest.raises(MixError, match="does not exist"):
        resolve_mix(str(tmp_path / "missing.toml"))
    with pytest.raises(MixError, match="Unknown mix"):
        resolve_mix("nonsense")


def test_priority_order_round_robins_templates() -> None:
    items = [DatasetItem(key=k, messages=[], template_id=t) for k, t in
             enumerate(["a"] * 6 + ["b"] * 3 + ["c"] * 3, start=1)]
    order = priority_order(items, seed=5, group="g")
    first_nine = [i.template_id for i in order[:9]]
    assert sorted(first_nine) == ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    assert all(len(set(first_nine[i:i + 3])) == 3 for i in range(0, 9, 3))
    assert [i.key for i in order] == [i.key for i in priority_order(list(reversed(items)), seed=5, group="g")]

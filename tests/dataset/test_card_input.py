"""A hand-edited card.json never crashes the lists of builds (Build, Train and Plan screens, `builds`, `train`).

The card is a file in the project a person may edit; whatever JSON it holds, listing builds, the training
choices and resolving a build's data give a result or a `BuildNotFoundError` sentence.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.dataset.builds import BuildNotFoundError, list_builds, resolve_training_data, training_choices
from core.project import open_project

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)
stage = st.fixed_dictionaries({}, optional={"size": json_values, "path": json_values, "stats": json_values})
cards = st.fixed_dictionaries({}, optional={
    "name": json_values, "built_at": json_values, "staged": json_values,
    "stages": st.lists(stage | json_values, max_size=4) | json_values,
    "spec": st.fixed_dictionaries({}, optional={"formats": json_values | st.just(["mlx-chat"]),
                                                "mix": json_values}) | json_values,
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(card=cards | json_values)
def test_any_card_lists_or_says_why(tmp_path_factory, card) -> None:
    project = open_project(tmp_path_factory.mktemp("p") / "project")
    folder = project.exports / "hand-made"
    (folder / "mlx-chat").mkdir(parents=True)
    (folder / "mlx-chat" / "train.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / "card.json").write_text(json.dumps(card), encoding="utf-8")
    builds = list_builds(project)
    assert all(isinstance(stage["examples"], int) for build in builds for stage in build.stages)
    training_choices(project)
    try:
        resolve_training_data(project, "hand-made")
    except BuildNotFoundError as exc:
        assert str(exc)

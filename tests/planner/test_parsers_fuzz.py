"""Outside input the planner parses (a model folder's config.json, calibration files): any content, no crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.planner import PlannerError, make_plan, make_request, shape_from_config
from core.planner.calibration import read_points, read_project_points

KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "vocab_size", "head_dim", "tie_word_embeddings", "quantization", "quantization_config", "text_config")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 1 << 22), st.floats(allow_nan=True),
                    st.text(max_size=5))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from(("bits", "group_size",
                                                                                       "load_in_4bit", *KEYS)),
                                                                      inner, max_size=4)), max_leaves=8)
CONFIGS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=len(KEYS))
SMALL = st.integers(1, 64)


@settings(max_examples=200, deadline=None)
@given(config=CONFIGS)
def test_any_config_gives_a_shape_or_a_sentence(config: dict[str, Any]) -> None:
    try:
        shape = shape_from_config(config)
    except PlannerError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    assert shape.total_params > 0 and shape.attention_head_dim > 0 and shape.kv_dim > 0


@settings(max_examples=100, deadline=None)
@given(hidden=SMALL.map(lambda x: 64 * x), layers=SMALL, heads=st.sampled_from([1, 2, 4, 8, 16]),
       inter=SMALL.map(lambda x: 64 * x), vocab=st.integers(2, 200_000),
       bits=st.one_of(st.none(), st.sampled_from([2, 3, 4, 6, 8])))
def test_valid_configs_plan_on_every_kind_of_device(hidden: int, layers: int, heads: int, inter: int, vocab: int,
                                                    bits: Any) -> None:
    config: dict[str, Any] = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
                              "intermediate_size": inter, "vocab_size": vocab}
    if bits:
        config["quantization"] = {"bits": bits, "group_size": 64}
    shape = shape_from_config(config)
    for device in ("h100", "m4-max", "this-cpu"):
        plan = make_plan(make_request(shape, device, method="lora", seq=256, tokens=10**6))
        assert plan.tokens_per_s > 0 and plan.peak_memory_gib > 0
        assert (plan.hours is None) == (not plan.feasible)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(st.text(max_size=40),
                                st.dictionaries(st.sampled_from(("model", "shape", "seq", "batch", "tokens_per_s",
                                                                 "peak_gib", "device_key", "counts", "targets",
                                                                 "lora_layers", "usable", "quantization")),
                                                VALUES, max_size=8).map(json.dumps)), max_size=6))
def test_any_calibration_file_reads_without_crashing(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "calibration.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    for point in [*read_points(path), *read_project_points(path)]:
        assert point.tokens_per_s > 0 and point.request.seq >= 1

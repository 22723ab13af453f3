"""`interiority plan | devices | models | scale-out` and the files scale-out writes."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.planner import export_scale_out, progressive_plan
from core.planner.progressive import build_tokens


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _fake_build(project) -> str:
    """A build in the dataset engineer's layout: card.json + a stage with alpaca, mlx-chat and openai files."""
    build = project.exports / "demo"
    stage = build / "stage-200"
    rows = [{"messages": [{"role": "user", "content": f"passage {i}"}, {"role": "assistant", "content": "inner"}]}
            for i in range(5)]
    for fmt in ("mlx-chat", "openai"):
        (stage / fmt).mkdir(parents=True)
        for split in ("train", "valid"):
            (stage / fmt / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (stage / "alpaca").mkdir()
    (stage / "alpaca" / "train.jsonl").write_text(json.dumps({"instruction": "x", "input": "", "output": "y"}) + "\n")
    card = {"name": "demo", "stages": [{"size": 200, "path": "stage-200",
                                        "stats": {"tokens": {"method": "estimate", "total": 150_000,
                                                             "by_split": {"train": 120_000, "valid": 15_000}}}}]}
    (build / "card.json").write_text(json.dumps(card))
    return "demo"


def test_plan_json(project, capsys):
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-3.1-405b",
                        "--method", "qlora", "--device", "h100", "--gpus", "8", "--grad-ckpt", "--tokens", "3000000",
                        "--epochs", "3", "--price-per-hour", "2", "--claim", "5000", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("peak_memory_gib", "tokens_per_s", "hours", "cost_usd", "fits", "feasible", "reasons", "explanation"):
        assert key in data
    assert data["fits"] and data["feasible"] and data["sharding"] == "zero3"
    assert data["cost_usd"] == pytest.approx(data["hours"] * 8 * 2, rel=0.01)
    assert data["claim"]["possible"] is False


def test_plan_text_impossible_and_bad_input(project, capsys):
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-3.1-70b",
                        "--device", "m1-max", "--method", "full")
    assert code == 0 and "IMPOSSIBLE" in out and "does NOT fit" in out
    code, _, err = _run(capsys, "plan", "--project", str(project.root), "--model", "nope", "--device", "h100")
    assert code == 2 and "Unknown model" in err
    code, _, err = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-8b")
    assert code == 2 and "--device" in err


def test_devices_and_models_json(project, capsys):
    code, out, _ = _run(capsys, "devices", "--project", str(project.root), "--json")
    keys = {d["key"] for d in json.loads(out)}
    assert {"h100", "h200", "a100-40", "a100-80", "m3-ultra-512", "m4-max", "this-cpu"} <= keys
    code, out, _ = _run(capsys, "models", "--project", str(project.root), "--json")
    names = {m["name"] for m in json.loads(out)}
    assert len(names) == 10 and "llama-3.1-405b" in names and "mistral-7b" in names


def test_progressive_from_a_build(project, capsys):
    name = _fake_build(project)
    assert build_tokens(project.exports / name) == (120_000, "estimate")
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--progressive", "--build", name,
                        "--home", "m3-ultra-512", "--json")
    steps = json.loads(out)["steps"]
    assert [s["stage"] for s in steps] == ["validate", "scale", "frontier"]
    assert steps[0]["where"] == "home" and steps[0]["device"] == "m3-ultra-512"
    assert all(s["feasible"] for s in steps)
    # 3M tokens: 405B would take weeks on the Mac, so that step moves to rented GPUs.
    big = progressive_plan(3_000_000, home_device="m3-ultra-512")
    assert big[0].where == "home" and big[2].where == "rented" and big[2].plan.request.device.kind == "cuda"
    # With a tiny home machine, every step moves to rented GPUs.
    tiny = progressive_plan(3_000_000, home_device="this-cpu")
    assert all(s.where == "rented" for s in tiny[1:])


def test_scale_out_axolotl(project, capsys):
    name = _fake_build(project)
    code, out, _ = _run(capsys, "scale-out", name, "--project", str(project.root), "--target", "axolotl",
                        "--model", "llama-3.1-70b", "--gpus", "8", "--json")
    assert code == 0
    result = json.loads(out)
    folder = project.exports / name / "scale-out" / "axolotl"
    yaml_text = (folder / "axolotl.yaml").read_text()
    assert "adapter: \"qlora\"" in yaml_text and "load_in_4bit: true" in yaml_text
    assert "type: \"alpaca\"" in yaml_text and "stage-200/alpaca/train.jsonl" in yaml_text
    assert "sequence_len: 2048" in yaml_text and "micro_batch_size:" in yaml_text
    assert "gradient_accumulation_steps:" in yaml_text and "- \"down_proj\"" in yaml_text
    stage = json.loads((folder / "deepspeed_zero3.json").read_text())["zero_optimization"]["stage"]
    assert stage == 3 and "accelerate launch" in (folder / "launch.sh").read_text()
    assert result["plan"]["feasible"] and json.loads((folder / "plan.json").read_text())["gpus"] == 8


def test_scale_out_mlx_and_managed(project):
    name = _fake_build(project)
    mlx = export_scale_out(project.exports, name, "mlx-distributed", model="llama-3.1-8b", gpus=2)
    hosts = json.loads((mlx.folder / "hostfile.json").read_text())
    assert len(hosts["hosts"]) == 2 and mlx.command.startswith("mlx.launch --hostfile hostfile.json")
    assert "stage-200/mlx-chat" in mlx.command
    managed = export_scale_out(project.exports, name, "managed")
    lines = (managed.folder / "train.jsonl").read_text().splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["messages"][1]["role"] == "assistant"
    (project.exports / name / "stage-200" / "openai" / "train.jsonl").write_text('{"prompt": "x"}\n')
    with pytest.raises(Exception, match="line 1 is not an OpenAI chat row"):
        export_scale_out(project.exports, name, "managed")
    with pytest.raises(Exception, match="No dataset build 'missing'"):
        export_scale_out(project.exports, "missing", "axolotl")

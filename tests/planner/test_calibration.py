"""The planner against every shipped measured point: peak memory within 20%, tokens/s within 30%."""

from __future__ import annotations

from core.planner.calibration import (CalibrationPoint, fit_constants, load_calibration, read_points,
                                      record_run, SHIPPED_POINTS)
from core.planner.memory import estimate_memory
from core.planner.plan import make_plan
from core.planner.profiles import TORCH_PEFT
from core.planner.shapes import resolve_model
from core.planner.throughput import step_features


def _predicted_tps(point: CalibrationPoint, constants) -> float:
    req = point.request
    return req.seq * req.batch / step_features(req).step_seconds(constants)


def test_every_shipped_point_within_targets(capsys):
    cal = load_calibration()
    points = [p for p in cal.points if p.source == "shipped H200 points"]
    assert len(points) == 8
    constants = cal.constants_for(TORCH_PEFT)
    assert constants.source.startswith("fitted")
    rows = []
    for point in points:
        mem = estimate_memory(point.request).peak_gib
        tps = _predicted_tps(point, constants)
        # Leave-one-out: the same point predicted by constants fitted to the other seven.
        loo = fit_constants([p for p in points if p is not point], TORCH_PEFT)
        rows.append((point.label, point.peak_gib, mem, point.tokens_per_s, tps, _predicted_tps(point, loo)))
    with capsys.disabled():
        print("\npoint                        peak GiB meas/pred   err  |  tokens/s meas/pred    err  | LOO err")
        for label, m_meas, m_pred, t_meas, t_pred, t_loo in rows:
            print(f"{label:28} {m_meas:7.2f} {m_pred:7.2f} {m_pred / m_meas - 1:+6.1%}  | {t_meas:8.0f} {t_pred:8.0f} "
                  f"{t_pred / t_meas - 1:+6.1%} | {t_loo / t_meas - 1:+6.1%}")
    for label, m_meas, m_pred, t_meas, t_pred, t_loo in rows:
        assert abs(m_pred / m_meas - 1) <= 0.20, label
        assert abs(t_pred / t_meas - 1) <= 0.30, label
        assert abs(t_loo / t_meas - 1) <= 0.30, label  # not only in-sample


def test_fitted_utilisation_is_physical():
    constants = load_calibration().constants_for(TORCH_PEFT)
    # The H200's large matrix product reaches ~790 of its 989 TFLOP/s peak; a training step cannot beat that.
    assert 0.25 < constants.matmul_utilisation < 790 / 989
    assert constants.traffic_factor > 0 and constants.layer_pass_s > 0


def test_shipped_copy_matches_the_shared_file(tmp_path):
    points = read_points(SHIPPED_POINTS)
    assert [p.tokens_per_s for p in points] == [36563, 11966, 4991, 6399, 5891, 6270, 3661, 1771]


def test_project_runs_correct_the_device(tmp_path):
    runs = tmp_path / "runs"
    shape = resolve_model("llama-3.2-1b")
    from core.planner.request import make_request

    req = make_request(shape, "this-cpu", method="lora", seq=512, batch=2, grad_ckpt=False)
    before = make_plan(req, load_calibration(runs))
    for _ in range(3):  # this machine measured at half the predicted speed and 10% more memory
        record_run(runs, model=shape, device="this-cpu", tokens_per_s=before.tokens_per_s / 2,
                   peak_gib=before.peak_memory_gib * 1.1, seq=512, batch=2, run_name="tiny")
    (runs / "calibration.jsonl").open("a").write('{"torn": ')  # a torn last line is skipped
    cal = load_calibration(runs)
    after = make_plan(req, cal)
    assert abs(after.tokens_per_s / before.tokens_per_s - 0.5) < 0.01
    assert abs(after.peak_memory_gib / before.peak_memory_gib - 1.1) < 0.01
    assert any("project run" in line for line in after.explanation)
    # Other devices are untouched by this machine's runs.
    other = make_request(shape, "h100", method="lora", seq=512, batch=2)
    assert make_plan(other, cal).tokens_per_s == make_plan(other, load_calibration()).tokens_per_s

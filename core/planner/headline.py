"""The plan's headline, as the command line prints it and the Plan screen styles it (one text, no drift)."""

from __future__ import annotations

from typing import Any


def _hours(hours: Any) -> str:
    return "-" if hours is None else f"{hours:,.2f} h"


def _cost(cost: Any) -> str:
    return "-" if cost is None else f"${cost:,.2f}"


def headline(out: dict[str, Any]) -> list[str]:
    """The plan's first lines: verdict, calibration status, and the figures with and without the project's runs.

    Shared by the command line and the Plan screen (which styles the same lines), so they never drift: the first
    line ends with "(UNCALIBRATED)" when no measured run of the device family backs the figures, the second says
    what they rest on, and the figures without the project's own runs follow the corrected ones in brackets.
    """
    lines = [f"{out['model']} {out['method']} ({out['precision']}) on {out['gpus']} x {out['device_name']}"
             f"{', ' + out['sharding'].upper() if out['sharding'] != 'none' else ''}: "
             f"{'FEASIBLE' if out['feasible'] else 'IMPOSSIBLE'}"
             f"{'' if out['calibrated'] else ' (UNCALIBRATED)'}",
             f"  {out['calibration_note']}"]
    base = out.get("uncorrected")
    mem = f"  peak memory {out['peak_memory_gib']:,.1f} GiB per device of {out['usable_memory_gib']:,.1f} usable: " \
          f"{'fits' if out['fits'] else 'does NOT fit'}"
    speed = f"  speed {out['tokens_per_s']:,.0f} tokens/s ({out['utilisation']:.0%} of peak)"
    time = (f"  time {_hours(out['hours'])} (ideal {_hours(out['ideal_hours'])} x {out['failed_run_overhead']}); "
            f"cost {_cost(out['cost_usd'])}") if out["hours"] is not None else ""
    if base:
        mem += f"   [without this project's runs: {base['peak_memory_gib']:,.1f} GiB]"
        speed += f"   [without: {base['tokens_per_s']:,.0f} tokens/s]"
        if time:
            time += f"   [without: {_hours(base['hours'])}, {_cost(base['cost_usd'])}]"
    lines += [mem, speed] + ([time] if time else [])
    if out["tokens"] and out["hours"] is None and not out["feasible"]:
        lines.append("  time and cost: not quoted for an impossible setup")
    return lines

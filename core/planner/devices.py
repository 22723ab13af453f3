"""Hardware the planner knows: peak dense matrix rates, memory, bandwidth, and this machine read from itself.

Peaks are vendor figures for dense (not 2:4 sparse) matrix products. Apple does not publish GPU FLOP/s; the
figures here are GPU cores x 128 ALUs x 2 (FMA) x clock, which reproduces the usual 10.4 / 13.6 / 27.2 TFLOP/s
for M1 Max / M2 Max / M2 Ultra; Apple GPUs run bf16/fp16 at the fp32 rate. A Mac's GPU may wire only part of
unified memory (about 75% by default on large machines; `sudo sysctl iogpu.wired_limit_mb=...` raises it).
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from core.planner.shapes import PlannerError

GIB = 2**30


@dataclass(frozen=True)
class Device:
    """One accelerator (or this CPU) and the numbers that bound a training run on it."""

    key: str
    name: str
    kind: str  # "cuda", "apple" or "cpu"
    peak_bf16_flops: float  # dense bf16/fp16 matrix rate, FLOP/s
    peak_fp32_flops: float
    memory_gib: float
    bandwidth_gbs: float  # memory bandwidth, GB/s
    usable_memory_fraction: float = 1.0  # share of memory a training process can really use
    interconnect_gbs: float = 0.0  # per-GPU link to its peers (NVLink), GB/s one way; 0 = none
    price_per_hour: float = 0.0  # typical on-demand USD per device-hour; 0 = owned hardware
    framework: str = "torch"  # the software stack its estimates assume ("torch" + peft, or "mlx")
    note: str = ""

    @property
    def usable_memory_gib(self) -> float:
        return self.memory_gib * self.usable_memory_fraction

    def peak_flops(self, precision: str) -> float:
        """The matrix rate a run at this compute precision can reach at best (int8/4-bit compute in bf16)."""
        return self.peak_fp32_flops if precision == "fp32" else self.peak_bf16_flops

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "kind": self.kind,
                "peak_bf16_tflops": round(self.peak_bf16_flops / 1e12, 1),
                "peak_fp32_tflops": round(self.peak_fp32_flops / 1e12, 1), "memory_gib": round(self.memory_gib, 1),
                "usable_memory_gib": round(self.usable_memory_gib, 1), "bandwidth_gbs": self.bandwidth_gbs,
                "interconnect_gbs": self.interconnect_gbs, "price_per_hour": self.price_per_hour,
                "framework": self.framework, "note": self.note}


def _apple(key: str, name: str, gpu_cores: int, clock_ghz: float, memory_gib: float, bandwidth: float) -> Device:
    flops = gpu_cores * 128 * 2 * clock_ghz * 1e9
    return Device(key=key, name=name, kind="apple", peak_bf16_flops=flops, peak_fp32_flops=flops,
                  memory_gib=memory_gib, bandwidth_gbs=bandwidth, usable_memory_fraction=0.75, framework="mlx",
                  note=f"{gpu_cores}-core GPU; ~75% of memory wired for the GPU by default (iogpu.wired_limit_mb)")


_NVLINK_NOTE = "SXM; price is a typical on-demand rate, override with --price-per-hour"

KNOWN_DEVICES: dict[str, Device] = {d.key: d for d in [
    _apple("m1-max", "Apple M1 Max (64 GB)", 32, 1.296, 64, 400),
    _apple("m1-ultra", "Apple M1 Ultra (128 GB)", 64, 1.296, 128, 800),
    _apple("m2-max", "Apple M2 Max (96 GB)", 38, 1.398, 96, 400),
    _apple("m2-ultra", "Apple M2 Ultra (192 GB)", 76, 1.398, 192, 800),
    _apple("m3-max", "Apple M3 Max (128 GB)", 40, 1.38, 128, 400),
    _apple("m3-ultra", "Apple M3 Ultra (256 GB)", 80, 1.38, 256, 819),
    _apple("m3-ultra-512", "Apple M3 Ultra (512 GB)", 80, 1.38, 512, 819),
    _apple("m4-max", "Apple M4 Max (128 GB)", 40, 1.578, 128, 546),
    Device("a100-40", "NVIDIA A100 40GB", "cuda", 312e12, 19.5e12, 40.0, 1555, 1.0, 300, 1.3, note=_NVLINK_NOTE),
    Device("a100-80", "NVIDIA A100 80GB", "cuda", 312e12, 19.5e12, 80.0, 2039, 1.0, 300, 1.8, note=_NVLINK_NOTE),
    Device("h100", "NVIDIA H100 80GB", "cuda", 989e12, 67e12, 79.6, 3350, 1.0, 450, 2.5, note=_NVLINK_NOTE),
    Device("h200", "NVIDIA H200 141GB", "cuda", 989e12, 67e12, 140.4, 4800, 1.0, 450, 3.5,
           note=_NVLINK_NOTE + "; ~790 TFLOP/s measured for a large bf16 matrix product"),
]}

_ALIASES = {"h100-80": "h100", "h100-sxm": "h100", "h200-141": "h200", "a100": "a100-80",
            "m3-ultra-256": "m3-ultra", "mac-studio-512": "m3-ultra-512", "cpu": "this-cpu", "local": "this-cpu",
            "nvidia h200": "h200", "nvidia h100 80gb hbm3": "h100", "nvidia h100": "h100"}


def _read_meminfo_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / GIB
    except (OSError, ValueError, IndexError):
        pass
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "hw.memsize"], capture_output=True, text=True, timeout=5)
            return int(out.stdout.strip()) / GIB
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return 0.0


def _cpu_flags_and_mhz() -> tuple[set[str], float]:
    flags: set[str] = set()
    mhz = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            elif line.startswith("cpu MHz") and not mhz:
                mhz = float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return flags, mhz


@lru_cache(maxsize=1)
def this_cpu() -> Device:
    """This machine's CPU: cores and memory read from the system; the rate from its vector width.

    Peak fp32 = cores x clock x FLOPs per cycle (AVX-512: 2 FMA x 16 lanes x 2 = 64; AVX2+FMA: 32; else 8).
    bf16 runs at the fp32 rate on CPUs without AMX. Bandwidth is a rough 10 GB/s per core (capped at 100).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    flags, mhz = _cpu_flags_and_mhz()
    per_cycle = 64 if "avx512f" in flags else 32 if {"avx2", "fma"} <= flags else 8
    clock = (mhz or 2500.0) * 1e6
    flops = cores * clock * per_cycle
    model = platform.processor() or platform.machine() or "CPU"
    memory = _read_meminfo_gib()
    return Device(key="this-cpu", name=f"this CPU ({cores} cores, {memory:.0f} GiB)", kind="cpu",
                  peak_bf16_flops=flops, peak_fp32_flops=flops, memory_gib=memory,
                  bandwidth_gbs=min(100.0, 10.0 * cores), usable_memory_fraction=0.9, framework="mlx",
                  note=f"{model}; {per_cycle} FLOP/cycle/core at {clock / 1e9:.2f} GHz (read from this machine)")


def this_machine() -> Device:
    """The device a local mlx run trains on: the Mac's GPU on Apple silicon, else this CPU.

    On a Mac the chip is read from `machdep.cpu.brand_string` ("Apple M3 Ultra") and matched to the known
    device of that chip with the nearest memory, with the memory replaced by what this Mac really has.
    """
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        try:
            brand = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                   text=True, timeout=5).stdout.strip().lower()
        except (OSError, subprocess.SubprocessError):
            brand = ""
        memory = _read_meminfo_gib()
        chips = [d for d in KNOWN_DEVICES.values() if d.kind == "apple" and d.name.lower().split(" (")[0] == brand]
        if chips and memory:
            nearest = min(chips, key=lambda d: abs(d.memory_gib - memory))
            from dataclasses import replace

            return replace(nearest, memory_gib=memory, name=f"{nearest.name.split(' (')[0]} ({memory:.0f} GB), this Mac")
    return this_cpu()


def all_devices() -> list[Device]:
    return [*KNOWN_DEVICES.values(), this_cpu()]


def resolve_device(name: str) -> Device:
    """A device by key ("h100", "m3-ultra-512", "this-cpu") or a few common spellings."""
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key == "this-cpu":
        return this_cpu()
    if key in KNOWN_DEVICES:
        return KNOWN_DEVICES[key]
    names = ", ".join([*KNOWN_DEVICES, "this-cpu"])
    raise PlannerError(f"Unknown device {name!r}; use one of {names} (see `interiority devices`).")


def device_for_measured_name(name: str) -> Optional[Device]:
    """Map a measured run's device string ("NVIDIA H200") to a known device, if it is one."""
    low = name.lower()
    for key, needle in (("h200", "h200"), ("h100", "h100"), ("a100-80", "a100-sxm4-80"), ("a100-80", "a100 80"),
                        ("a100-40", "a100")):
        if needle in low:
            return KNOWN_DEVICES[key]
    try:
        return resolve_device(name)
    except PlannerError:
        return None

"""The CLI starts without loading what only some commands need (scipy for A/B statistics, the models, pandas)."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_leaves_statistics_and_models_unloaded():
    code = (
        "import sys, sounding.cli; "
        "print(sorted(m for m in ('scipy', 'onnxruntime', 'sklearn', 'sounding.experiments.report', 'ray', 'pandas') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_experiment_names_load_on_first_use():
    from sounding import experiments

    assert callable(experiments.analyze) and experiments.ExperimentReport.__name__ == "ExperimentReport"

"""The example notebooks: they execute without error, and the committed copies keep outputs.

Executing them trains small models (about 15 s each on a CPU), so that runs on the
JAX backend only, two notebooks at a time. ``FITTRACK_SAVE_NOTEBOOKS=1`` saves the
executed notebooks over the committed copies (outputs kept). The kernel is this
interpreter (a kernel spec written to a temporary JUPYTER_PATH), with this checkout
first on its path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
INLINE = "module://matplotlib_inline.backend_inline"

#: notebook -> figures its outputs hold
FIGURES = {"01_quick_start": 3, "02_imbalanced_metrics": 1, "03_batch_curves": 3,
           "04_compare_runs": 3}
#: the Keras 2 cell's output where tf_keras is not installed
NO_TF_KERAS = "tf_keras is not installed"
#: notebook -> text its outputs must contain
EXPECTED = {
    "01_quick_start": ["Could not interpret metric identifier: cosine", "tutorial_rmse",
                       "history.history keys: ['cosine_proximity', 'loss', 'mae', 'mape', "
                       "'mse', 'rmse']"],
    "02_imbalanced_metrics": ["always 'negative': accuracy 0.946", "EarlyStopping: mode 'max'",
                              "gap (train-val)"],
    "03_batch_curves": ["run.batches.csv", "wrote batches.png"],
    "04_compare_runs": ["class weights  best val_auc", "weighted.csv: 12 epochs (0-11)",
                        "run            metric", "wrote compare.png"],
}


def _outputs(nb) -> tuple[str, int, list[str]]:
    """All text output, the number of PNG images, and the errors."""
    text, images, errors = [], 0, []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                images += "image/png" in out.data
                text.append(out.data.get("text/plain", ""))
            elif out.output_type == "error":
                errors.append(f"{out.ename}: {out.evalue}")
    return "\n".join(text), images, errors


def test_every_notebook_is_listed():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_notebook_keeps_its_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    text, images, errors = _outputs(nb)
    assert errors == []
    assert images == FIGURES[name], "run the notebook and save it with its figures"
    for expected in EXPECTED[name]:
        assert expected in text
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook executed with its outputs cleared, two at a time (each in a kernel of
    its own: the kernels' start-up and imports overlap): ``{name: notebook or error}``."""
    from concurrent.futures import ThreadPoolExecutor

    from nbclient import NotebookClient

    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "fittrack-test"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fittrack tests", "language": "python"}))
    env = {"JUPYTER_PATH": str(jupyter), "KERAS_BACKEND": "jax",
           "MPLBACKEND": INLINE,  # figures go to the outputs, as in Jupyter
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + [
               p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)

    def run(name: str):
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        try:
            NotebookClient(nb, kernel_name="fittrack-test", timeout=300,
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        except Exception as error:  # reported by the notebook's own test
            return error
        return nb

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(sorted(EXPECTED), pool.map(run, sorted(EXPECTED))))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "jax",
                    reason="the notebooks are executed on the JAX backend only")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_executes(name, executed):
    nb = executed[name]
    if isinstance(nb, Exception):
        raise nb
    text, images, errors = _outputs(nb)
    assert errors == []
    if os.environ.get("FITTRACK_SAVE_NOTEBOOKS") == "1":  # refresh the committed copies
        nbformat.write(nb, NOTEBOOKS / f"{name}.ipynb")
    assert images == FIGURES[name]
    assert "Keras backend: jax" in text
    has_tf_keras = importlib.util.find_spec("tf_keras") is not None
    for expected in EXPECTED[name]:
        if "history.history keys" in expected and not has_tf_keras:
            expected = NO_TF_KERAS
        assert expected in text

import inspect

import imgorg
from imgorg import tasks

EXPECTED = [
    "BACKBONES", "DEFAULT_BACKBONE", "NOISE", "AddConfig", "BackboneError", "ClassifyConfig", "ClusterConfig",
    "ClusterScores", "CompareConfig", "ConfigError", "DuplicatesConfig", "EmbedConfig", "EmbedResult",
    "ExportConfig", "ImageDecodeError", "ImgorgError", "IndexConfig", "MapConfig", "OutlierConfig", "PeopleConfig", "ReduceConfig",
    "Reducer", "ReportConfig", "ReviewConfig", "RunConfig", "RunResult", "SearchConfig", "SourceError",
    "Workspace", "WorkspaceError", "__version__", "accept_findings", "add_images", "build_search_index", "cluster",
    "compare_methods", "decode_image", "dismiss_findings", "edit_clusters", "embed_catalog", "export_clusters", "find_duplicates",
    "find_folder_duplicates", "find_people", "find_similar", "get_backbone", "load_workspace", "make_map", "removed_files", "review_collection",
    "run", "save_workspace", "scan_folder", "score_clustering", "score_outliers", "train_classifiers",
    "write_report"
]


def test_public_api_is_pinned():
    assert imgorg.__all__ == EXPECTED
    assert imgorg.__all__ == sorted(imgorg.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))


def test_every_exported_name_exists():
    for name in imgorg.__all__:
        assert hasattr(imgorg, name), name


def test_a_submodule_is_reached_from_the_package_as_the_readme_does():
    import subprocess
    import sys

    # in a fresh process: `import imgorg` alone (here other tests have imported imgorg.curation already)
    code = "import imgorg; print(imgorg.curation.Rename(3, 'beach').name)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "beach", done.stderr


def test_every_task_is_a_verb_of_a_workspace_and_a_config():
    """verb(workspace, config) -> result: the one shape the CLI, the app and notebooks call."""
    for name in tasks.__all__:
        verb = getattr(tasks, name)
        if inspect.isclass(verb) or name == "find_folder_duplicates":  # results; a folder, not a workspace
            continue
        parameters = list(inspect.signature(verb).parameters)
        assert parameters[:2] == ["workspace", "config"], name
        assert getattr(imgorg, name) is verb and verb.__doc__


def test_results_print_short_in_a_notebook(tmp_path):
    import numpy as np
    import pandas as pd

    from imgorg.tasks.curate import EditResult
    from imgorg.tasks.search import Query
    from imgorg.workspace import Store

    n = 5000
    store = Store(tmp_path, {"config": {"x" * 100: 1}}, pd.DataFrame({"id": range(n)}), np.zeros((n, 512), np.float32),
                  np.zeros((n, 50), np.float32), pd.DataFrame({"id": range(n)}))
    assert repr(store) == f"Store({str(tmp_path)!r}: 5,000 images)"
    assert len(repr(EditResult({"op": "rename"}, store))) < 300  # 8 KB of manifest, catalog and arrays before
    assert "\\\\xff" not in repr(Query(image=b"\\xff\\xd8" * 1000))

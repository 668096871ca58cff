import imgorg

EXPECTED = [
    "BACKBONES", "DEFAULT_BACKBONE", "NOISE", "BackboneError", "ClusterConfig", "ClusterScores",
    "ConfigError", "EmbedConfig", "EmbedResult", "ImageDecodeError", "ImgorgError", "ReduceConfig",
    "Reducer", "RunConfig", "RunResult", "SourceError", "Workspace", "WorkspaceError", "__version__",
    "cluster", "decode_image", "embed_catalog", "get_backbone", "load_workspace", "run",
    "save_workspace", "scan_folder", "score_clustering",
]


def test_public_api_is_pinned():
    assert imgorg.__all__ == EXPECTED
    assert imgorg.__all__ == sorted(imgorg.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))


def test_every_exported_name_exists():
    for name in imgorg.__all__:
        assert hasattr(imgorg, name), name

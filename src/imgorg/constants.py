"""Special cluster labels, method names and stage names, in a module that imports nothing.

Most modules that show clusters want only these; the clusterers themselves (``imgorg.clustering``)
load scikit-learn, FAISS and torch.
"""

NOISE = -1  # label of images in no cluster (DBSCAN/HDBSCAN convention; a dropped image)
CURATED = "curated"  # the method name of the curated clustering (the edit log applied to its base)
EVENTS = "events"  # the method name of the grouping by capture time
CLIP_BACKBONE = "clip-vit-b-32"  # the one backbone whose text tower imgorg has: word search, zero-shot names
# manifest.json's timings of `imgorg run`'s review: the time the run waited for it after its own stages,
# and the review's own clock in the process beside the run's clustering and map (overlapping its stages)
REVIEW_STAGE = "review"
REVIEW_BESIDE_STAGE = "review beside"

# every clustering method by name (imgorg.clustering.METHODS holds them); --method auto and `imgorg compare` try them
CLUSTERING_METHODS = ("kmeans", "agglomerative", "dbscan", "hdbscan", "scan")
REVIEW_SPLITS = "review_splits"  # the manifest's record of the splits a review was given, in their order
GONE = "gone"  # the kind of removal that sets aside an image whose file was deleted from the folder
GONE_IMAGES = "gone_images"  # the manifest's list of those images' ids (a curated workspace's rerun keeps it)
SET_ASIDE = "set aside"  # a review finding's status where its image was removed for a finding of another kind
